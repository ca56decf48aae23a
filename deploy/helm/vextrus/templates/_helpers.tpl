{{/* Chart name, release-scoped full name, and the name of one service's resources. */}}
{{- define "vextrus.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "vextrus.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* vextrus.component: dict "root" $ "name" "auth" -> "<fullname>-auth" */}}
{{- define "vextrus.component" -}}
{{- printf "%s-%s" (include "vextrus.fullname" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "vextrus.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels: dict "root" $ "name" <component> */}}
{{- define "vextrus.labels" -}}
helm.sh/chart: {{ include "vextrus.chart" .root }}
{{ include "vextrus.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: vextrus
{{- end -}}

{{- define "vextrus.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vextrus.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/* Every pod of this release (services and the migration job). */}}
{{- define "vextrus.releaseSelector" -}}
app.kubernetes.io/name: {{ include "vextrus.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "vextrus.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* VEXTRUS_SERVICE_URLS: every enabled service but the gateway, at its in-cluster Service. */}}
{{- define "vextrus.serviceUrls" -}}
{{- $urls := dict -}}
{{- range $name, $svc := .Values.services -}}
{{- if and $svc.enabled (not $svc.gateway) -}}
{{- $_ := set $urls $name (printf "http://%s:%v" (include "vextrus.component" (dict "root" $ "name" $name)) $svc.port) -}}
{{- end -}}
{{- end -}}
{{- toJson $urls -}}
{{- end -}}

{{/* The service that signs tokens (issuesTokens) and is enabled, as "name:port", or "". */}}
{{- define "vextrus.tokenIssuer" -}}
{{- range $name, $svc := .Values.services -}}
{{- if and $svc.enabled $svc.issuesTokens -}}{{ $name }}:{{ $svc.port }}{{- end -}}
{{- end -}}
{{- end -}}

{{- define "vextrus.podSecurityContext" -}}
{{ toYaml .Values.podSecurityContext }}
{{- end -}}

{{- define "vextrus.securityContext" -}}
{{ toYaml .Values.securityContext }}
{{- end -}}

{{/* Writable paths under a read-only root filesystem. */}}
{{- define "vextrus.scratchVolumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.scratch.tmpSize }}
- name: var
  emptyDir:
    sizeLimit: {{ .Values.scratch.varSize }}
{{- end -}}

{{- define "vextrus.scratchMounts" -}}
- name: tmp
  mountPath: /tmp
- name: var
  mountPath: /app/var
{{- end -}}

{{/* VEXTRUS_FEDERATION_SUBGRAPHS: every enabled service with GraphQL. */}}
{{- define "vextrus.subgraphUrls" -}}
{{- $urls := dict -}}
{{- range $name, $svc := .Values.services -}}
{{- if and $svc.enabled $svc.graphql -}}
{{- $_ := set $urls $name (printf "http://%s:%v/graphql" (include "vextrus.component" (dict "root" $ "name" $name)) $svc.port) -}}
{{- end -}}
{{- end -}}
{{- toJson $urls -}}
{{- end -}}

{{/* "true" when an enabled gateway exists and federation is on. */}}
{{- define "vextrus.federationEnabled" -}}
{{- $on := false -}}
{{- range $name, $svc := .Values.services -}}
{{- if and $svc.enabled $svc.gateway $.Values.federation.enabled -}}{{- $on = true -}}{{- end -}}
{{- end -}}
{{- if $on -}}true{{- end -}}
{{- end -}}

{{/* VEXTRUS_KAFKA_CONFIG from a Secret (SASL/TLS credentials), when one is named. */}}
{{- define "vextrus.kafkaConfigEnv" -}}
{{- with .Values.kafka.configSecret }}
- name: VEXTRUS_KAFKA_CONFIG
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $.Values.kafka.configKey }}
{{- end }}
{{- end -}}
