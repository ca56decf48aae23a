"""Bulk import of master records: validate or upsert up to 1,000 rows by code in one request.

``POST /api/v1/{customers,vendors,products,accounts}/import`` takes rows shaped like the create
bodies of the REST API and answers, row by row, what happened (or, with ``dry_run``, what would):
``created``, ``updated`` (with the changed fields), ``unchanged`` or ``invalid`` (with the errors,
field by field, in English and Bengali). It is how the import-export service applies a file with
"the same rules as the API" without importing this service's modules.

- **Upsert by code.** A row whose code is new creates the record (as ``POST`` would); a row whose
  code exists changes the fields the row carries (as ``PATCH`` would) and leaves the others alone;
  a row that changes nothing bumps no version and publishes nothing, so importing the same rows
  again changes nothing. A code that belongs to a deleted record is refused (restore it first).
- **The same rules.** Each row goes through the API's input models and the same normalization and
  rule functions (``rules.py``, the ``_values`` builders of parties/products/accounts); only the
  lookups differ: the records, units, accounts and TINs a request needs are read with one query
  each instead of one per row. ``tests/services/master_data/test_master_data_import.py`` checks the
  answers against the REST API's for a table of rows.
- **References by code.** Besides the API's ``parent_id``, ``purchase_account_id`` and
  ``sale_account_id``, a row may name those accounts by ``parent_code``, ``purchase_account_code``
  and ``sale_account_code``; an account row may name a parent created by an earlier row of the
  same request. ``assume`` lists accounts an earlier request of the same dry run would have
  created, so a parent defined earlier in a large file is found (ignored unless ``dry_run``).
- **Events and cache** as for single changes: ``master-data.<entity>.created|updated`` (and
  ``product.price_updated``) per record, written in the request's transaction; valid rows commit
  together, invalid rows change nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Annotated, Any, Literal, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import ColumnElement, String, Uuid, bindparam, func, insert, or_, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.errors import AppError, FieldError, validation_field_errors
from vextrus.kit.events import record_event
from vextrus.kit.models import new_id, utcnow
from vextrus.kit.tenancy import require_tenant_id
from vextrus.services.master_data import events, metrics, rules
from vextrus.services.master_data.catalogue import EXEMPT, Unit
from vextrus.services.master_data.models import Account, MasterRecord, Product, Vendor
from vextrus.services.master_data.parties import _customer_values, _district_of, _vendor_values
from vextrus.services.master_data.products import _product_values, known_units
from vextrus.services.master_data.repository import Accounts, Vendors
from vextrus.services.master_data.schemas import (
    AccountCreate,
    AccountPatch,
    AccountTypeName,
    Code,
    CustomerCreate,
    CustomerPatch,
    ProductCreate,
    ProductPatch,
    VendorCreate,
    VendorPatch,
)
from vextrus.services.master_data.service import (
    ACCOUNT,
    CUSTOMER,
    ENTITIES,
    PRODUCT,
    VENDOR,
    Actor,
    Entity,
    announce_created,
    apply_changes,
    clean_names,
    finish_update,
    given_fields,
    json_change,
)

MAX_IMPORT_ROWS = 1000
RowStatus = Literal["created", "updated", "unchanged", "invalid"]
STATUSES: tuple[RowStatus, ...] = ("created", "updated", "unchanged", "invalid")
ModelT = TypeVar("ModelT", bound=BaseModel)

# The path segment of each entity's import route and its key in service.ENTITIES.
ENTITY_PATHS = {"customers": "customer", "vendors": "vendor", "products": "product", "accounts": "account"}


# --- request and answer --------------------------------------------------------------------------


class AssumedAccount(BaseModel):
    """An account an earlier part of the same dry run would create (a parent for later rows)."""

    model_config = ConfigDict(extra="forbid")

    code: Code
    type: AccountTypeName
    is_group: bool


class ImportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rows: Annotated[
        list[dict[str, Any]],
        Field(
            min_length=1,
            max_length=MAX_IMPORT_ROWS,
            description="Create bodies of the REST API (code required); references may be by code",
        ),
    ]
    dry_run: bool = Field(default=False, description="Validate only: answer what would happen, change nothing")
    assume: Annotated[list[AssumedAccount], Field(max_length=MAX_IMPORT_ROWS)] = Field(
        default=[], description="Accounts only, dry runs only: parents an earlier batch would create"
    )


class RowError(BaseModel):
    field: str = Field(description="The field of the row, e.g. `tin` or `billing_address.district`")
    code: str
    reason: str
    reason_bn: str | None = None


class RowResult(BaseModel):
    index: int = Field(description="Position of the row in the request, from 0")
    code: str | None = Field(description="The row's code as stored (upper-case), when it is valid")
    status: RowStatus = Field(description="What happened (or, in a dry run, would happen)")
    id: uuid.UUID | None = Field(default=None, description="The record's id (none for a dry-run create)")
    changed: list[str] = Field(default=[], description="Fields an update changes")
    errors: list[RowError] = []


class ImportResult(BaseModel):
    entity: str
    dry_run: bool
    created: int
    updated: int
    unchanged: int
    invalid: int
    results: list[RowResult]


# --- row failures --------------------------------------------------------------------------------


class RowRejected(Exception):
    def __init__(self, errors: Sequence[FieldError]) -> None:
        super().__init__(errors[0].reason if errors else "invalid")
        self.errors = list(errors)


def _broken(error: rules.RuleViolation) -> RowRejected:
    """A broken rule, counted by kind exactly as the API counts it."""
    metrics.VALIDATION_ERRORS.labels(error.kind).inc()
    return RowRejected([FieldError(error.field, error.code, error.reason, error.reason_bn)])


def _refused(error: AppError) -> RowRejected:
    """An API error as row errors: fields without the API's ``body.`` prefix."""
    if error.errors:
        return RowRejected(
            [
                FieldError(item.field.removeprefix("body."), item.code, item.reason, item.reason_bn)
                for item in error.errors
            ]
        )
    return RowRejected([FieldError("", error.code, error.detail or error.code, error.detail_bn)])


def _parsed(model: type[ModelT], raw: Mapping[str, Any]) -> ModelT:
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        raise RowRejected(validation_field_errors(error.errors(include_url=False))) from None


def _normalized(function: Any, *args: Any) -> Any:
    try:
        return function(*args)
    except rules.RuleViolation as error:
        raise _broken(error) from None


def _no_such_account(field_name: str) -> RowRejected:
    return _broken(
        rules.RuleViolation(field_name, "No such account in this tenant", "এই টেন্যান্টে এমন কোনো হিসাব নেই", "account")
    )


def among(session: AsyncSession, column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """``column IN values`` for hundreds of values.

    On PostgreSQL the values go as one array parameter, ``column IN (SELECT unnest($1))``: the
    statement is prepared once and its cached generic plan probes the unique index value by value.
    An IN list of separate parameters is planned as a filter comparing every row of the tenant
    with every value; with the plan cached while the table was small, a 100,000-row import
    slowed to seconds per batch (measured)."""
    items = list(values)
    if session.get_bind().dialect.name == "postgresql":
        element_type = column.type if isinstance(column.type, Uuid) else String()
        array = bindparam(None, items, type_=postgresql.ARRAY(element_type))
        return cast(ColumnElement[bool], column.in_(select(func.unnest(array))))
    return cast(ColumnElement[bool], column.in_(items))


# --- the plan of one row -------------------------------------------------------------------------


@dataclass
class Plan:
    index: int
    code: str
    raw: dict[str, Any]
    row: Any = None  # the existing record (an update) or None (a create)
    values: dict[str, Any] = field(default_factory=dict)
    given: set[str] = field(default_factory=set)
    refs: dict[str, str] = field(default_factory=dict)  # id field -> referenced code
    id: uuid.UUID = field(default_factory=new_id)

    @property
    def creates(self) -> bool:
        return self.row is None


@dataclass
class AccountRef:
    """What a reference check needs to know about an account (stored, new in this batch or assumed)."""

    id: uuid.UUID
    code: str
    type: str
    is_group: bool
    live: bool = True


class Importer:
    """Upserts of one entity; subclasses prepare (parse, normalize) and check (lookups) rows."""

    entity: Entity[Any]
    create_model: type[BaseModel]
    patch_model: type[BaseModel]
    required_on_patch: tuple[str, ...] = ()
    import_only: tuple[str, ...] = ()  # keys a row may carry beside the create body

    def __init__(self, actor: Actor, request: ImportRequest) -> None:
        self.actor = actor
        self.session: AsyncSession = actor.session
        self.request = request

    # the steps, in order
    def prepare_create(self, plan: Plan) -> None:
        raise NotImplementedError

    def prepare_update(self, plan: Plan) -> None:
        raise NotImplementedError

    async def load(self, plans: Sequence[Plan]) -> None:
        """Read what the checks need, one query per kind of lookup."""

    async def check(self, plan: Plan) -> None:
        """Rules that need lookups; may turn an update into no change at all."""

    async def after_update(self, plan: Plan, changes: dict[str, events.FieldChange]) -> None:
        """Extra events of an update (a product's price change)."""

    def _body(self, plan: Plan) -> dict[str, Any]:
        """The row without the import-only references, which are resolved separately."""
        for key in self.import_only:
            if key in plan.raw:
                value = plan.raw[key]
                if value is not None:
                    if not isinstance(value, str):
                        raise RowRejected([FieldError(key, "string_type", "must be a code", "একটি কোড হতে হবে")])
                    plan.refs[key] = _normalized(rules.normalize_code, value, key)
        return {key: value for key, value in plan.raw.items() if key not in self.import_only}

    def _patch_fields(self, plan: Plan, body: dict[str, Any]) -> BaseModel:
        """The row as a PATCH body: every field it carries except the code (the key)."""
        patch = _parsed(self.patch_model, {key: value for key, value in body.items() if key != "code"})
        try:
            plan.given = given_fields(patch, self.required_on_patch)
        except AppError as error:
            raise _refused(error) from None
        return patch


# --- customers and vendors ------------------------------------------------------------------------


class CustomerImporter(Importer):
    entity = CUSTOMER
    create_model = CustomerCreate
    patch_model = CustomerPatch
    required_on_patch = (
        "code",
        "kind",
        "name",
        "phones",
        "credit_limit",
        "currency",
        "payment_terms_days",
        "contact_persons",
        "status",
    )

    def prepare_create(self, plan: Plan) -> None:
        data = _parsed(self.create_model, self._body(plan))
        values = _normalized(_customer_values, data, set(self.create_model.model_fields))
        values["phone_index"] = rules.phone_index(values["phones"])
        values["district_code"] = _district_of(values["billing_address"])
        plan.values = values

    def prepare_update(self, plan: Plan) -> None:
        patch = self._patch_fields(plan, self._body(plan))
        values = _normalized(_customer_values, patch, plan.given)
        if "phones" in values:
            values["phone_index"] = rules.phone_index(values["phones"])
        if "billing_address" in values:
            values["district_code"] = _district_of(values["billing_address"])
        plan.values = values


class VendorImporter(Importer):
    entity = VENDOR
    create_model = VendorCreate
    patch_model = VendorPatch
    required_on_patch = (
        "code",
        "kind",
        "name",
        "phones",
        "currency",
        "payment_terms_days",
        "contact_persons",
        "mobile_wallets",
    )

    def __init__(self, actor: Actor, request: ImportRequest) -> None:
        super().__init__(actor, request)
        self.tins: dict[str, Vendor] = {}
        self.batch_tins: dict[str, str] = {}  # TIN -> code of the earlier row that takes it

    def prepare_create(self, plan: Plan) -> None:
        data = _parsed(self.create_model, self._body(plan))
        values = _normalized(_vendor_values, data, set(self.create_model.model_fields))
        _normalized(rules.check_vendor, values["kind"], values["tin"])
        values["approval_status"] = "pending"
        wallets = values["mobile_wallets"]
        values["phone_index"] = rules.phone_index(values["phones"], (item["number"] for item in wallets))
        values["district_code"] = _district_of(values["address"])
        plan.values = values

    def prepare_update(self, plan: Plan) -> None:
        patch = self._patch_fields(plan, self._body(plan))
        row: Vendor = plan.row
        values = _normalized(_vendor_values, patch, plan.given)
        _normalized(rules.check_vendor, values.get("kind", row.kind), values.get("tin", row.tin))
        phones = values.get("phones", row.phones)
        wallets = values.get("mobile_wallets", row.mobile_wallets)
        values["phone_index"] = rules.phone_index(phones, (item["number"] for item in wallets))
        if "address" in values:
            values["district_code"] = _district_of(values["address"])
        plan.values = values

    async def load(self, plans: Sequence[Plan]) -> None:
        wanted = {plan.values["tin"] for plan in plans if plan.values.get("tin")}
        if wanted:
            found = await Vendors(self.session).all(among(self.session, Vendor.tin, wanted))
            self.tins = {row.tin: row for row in found if row.tin}

    async def check(self, plan: Plan) -> None:
        """TIN unique per tenant among vendors: stored ones, and earlier rows of this request."""
        tin = plan.values.get("tin")
        if not tin:
            return
        holder = self.tins.get(tin)
        if holder is not None and (plan.row is None or holder.id != plan.row.id):
            raise self._duplicate_tin(holder.code)
        earlier = self.batch_tins.get(tin)
        if earlier is not None and earlier != plan.code:
            raise self._duplicate_tin(earlier)
        self.batch_tins[tin] = plan.code

    @staticmethod
    def _duplicate_tin(other: str) -> RowRejected:
        return RowRejected(
            [
                FieldError(
                    "tin",
                    "duplicate",
                    f"already used by another vendor ({other})",
                    f"অন্য সরবরাহকারীর ({other})",
                )
            ]
        )


# --- products ----------------------------------------------------------------------------------------


_PRODUCT_STATE = (
    "type",
    "category",
    "vat_rate_code",
    "exemption_reason",
    "hs_code",
    "unit",
    "conversions",
    "purchase_account_id",
    "sale_account_id",
)
_PRODUCT_ACCOUNTS = {
    "purchase_account_id": ("purchase_account_code", ("expense", "asset")),
    "sale_account_id": ("sale_account_code", ("income",)),
}


class ProductImporter(Importer):
    entity = PRODUCT
    create_model = ProductCreate
    patch_model = ProductPatch
    required_on_patch = (
        "code",
        "name",
        "type",
        "category",
        "status",
        "unit",
        "conversions",
        "vat_rate_code",
        "sd_rate",
        "currency",
    )
    import_only = ("purchase_account_code", "sale_account_code")

    def __init__(self, actor: Actor, request: ImportRequest) -> None:
        super().__init__(actor, request)
        self.units: dict[str, Unit] = {}
        self.accounts_by_id: dict[uuid.UUID, Account] = {}
        self.accounts_by_code: dict[str, Account] = {}

    def _references(self, plan: Plan, body: dict[str, Any]) -> None:
        for id_field, (code_field, _) in _PRODUCT_ACCOUNTS.items():
            if code_field in plan.refs and body.get(id_field) is not None:
                reason = f"give {code_field} or {id_field}, not both"
                raise RowRejected([FieldError(code_field, "conflict", reason, "যেকোনো একটি দিন")])

    def prepare_create(self, plan: Plan) -> None:
        body = self._body(plan)
        self._references(plan, body)
        data = _parsed(self.create_model, body)
        plan.values = _normalized(_product_values, data, set(self.create_model.model_fields))
        plan.given = set(plan.values)

    def prepare_update(self, plan: Plan) -> None:
        body = self._body(plan)
        self._references(plan, body)
        patch = self._patch_fields(plan, body)
        values = _normalized(_product_values, patch, plan.given)
        # Leaving the exempt code drops the exemption reason unless the row sets one (as PATCH does).
        if values.get("vat_rate_code", plan.row.vat_rate_code) != EXEMPT and "exemption_reason" not in values:
            values["exemption_reason"] = None
        plan.values = values

    async def load(self, plans: Sequence[Plan]) -> None:
        if any(plan.creates or {"unit", "conversions"} & set(plan.values) for plan in plans):
            self.units = await known_units(self.session)
        ids = {plan.values[name] for plan in plans for name in _PRODUCT_ACCOUNTS if plan.values.get(name)}
        codes = {code for plan in plans for code in plan.refs.values()}
        if ids or codes:
            found = await Accounts(self.session).all(
                or_(among(self.session, Account.id, ids), among(self.session, Account.code, codes))
            )
            self.accounts_by_id = {row.id: row for row in found}
            self.accounts_by_code = {row.code: row for row in found}

    def _check_account(self, ident: uuid.UUID | None, field_name: str, types: tuple[str, ...]) -> None:
        """As products._check_account, on the accounts loaded for the request."""
        if ident is None:
            return
        account = self.accounts_by_id.get(ident)
        reason = None
        if account is None or account.deleted_at is not None:
            reason = ("No such account in this tenant", "এই টেন্যান্টে এমন কোনো হিসাব নেই")
        elif account.is_group:
            reason = (
                f"Account {account.code} is a group; choose a posting account",
                "গ্রুপ হিসাব; একটি পোস্টিং হিসাব বেছে নিন",
            )
        elif account.type not in types:
            reason = (
                f"Account {account.code} is {account.type}; expected {' or '.join(types)}",
                f"{account.code} হিসাবের ধরন {account.type}; প্রত্যাশিত {' বা '.join(types)}",
            )
        if reason is not None:
            raise _broken(rules.RuleViolation(field_name, reason[0], reason[1], "account"))

    async def check(self, plan: Plan) -> None:
        values = plan.values
        for id_field, (code_field, _) in _PRODUCT_ACCOUNTS.items():
            if code_field in plan.refs:
                account = self.accounts_by_code.get(plan.refs[code_field])
                if account is None:
                    raise _no_such_account(code_field)
                values[id_field] = account.id
        state: dict[str, Any] = {name: values.get(name, getattr(plan.row, name, None)) for name in _PRODUCT_STATE}
        changed = set(values) & set(_PRODUCT_STATE)
        try:
            rules.check_product(
                state["type"], state["category"], state["vat_rate_code"], state["exemption_reason"], state["hs_code"]
            )
            if plan.creates or changed & {"unit", "conversions"}:
                rules.check_conversions(state["unit"], state["conversions"], self.units)
        except rules.RuleViolation as error:
            raise _broken(error) from None
        for id_field, (code_field, types) in _PRODUCT_ACCOUNTS.items():
            if plan.creates or id_field in changed:
                self._check_account(values.get(id_field), code_field if code_field in plan.refs else id_field, types)

    async def after_update(self, plan: Plan, changes: dict[str, events.FieldChange]) -> None:
        if "purchase_price" not in changes and "sale_price" not in changes:
            return
        row: Product = plan.row
        record_event(
            self.session,
            events.PRODUCT_PRICE_UPDATED,
            events.ProductPriceUpdated(
                tenant_id=row.tenant_id,
                id=row.id,
                code=row.code,
                currency=row.currency,
                purchase_price=json_change(changes["purchase_price"]) if "purchase_price" in changes else None,
                sale_price=json_change(changes["sale_price"]) if "sale_price" in changes else None,
                version=row.version,
                actor=self.actor.user,
            ),
            subject=row.id,
        )


# --- accounts ------------------------------------------------------------------------------------------


class AccountImporter(Importer):
    entity = ACCOUNT
    create_model = AccountCreate
    patch_model = AccountPatch
    required_on_patch = ("code", "name", "normal_balance", "is_group")
    import_only = ("parent_code",)

    def __init__(self, actor: Actor, request: ImportRequest) -> None:
        super().__init__(actor, request)
        self.by_id: dict[uuid.UUID, AccountRef] = {}
        self.by_code: dict[str, AccountRef] = {}
        self.parents: dict[uuid.UUID, uuid.UUID | None] | None = None
        if request.dry_run:
            for item in request.assume:
                ref = AccountRef(new_id(), item.code.strip().upper(), item.type, item.is_group)
                self.by_code.setdefault(ref.code, ref)
                self.by_id[ref.id] = ref

    def _parent_given(self, plan: Plan, body: dict[str, Any]) -> None:
        if "parent_code" in plan.refs and body.get("parent_id") is not None:
            raise RowRejected(
                [FieldError("parent_code", "conflict", "give parent_code or parent_id, not both", "যেকোনো একটি দিন")]
            )

    def prepare_create(self, plan: Plan) -> None:
        body = self._body(plan)
        self._parent_given(plan, body)
        data = _parsed(AccountCreate, body)
        assert isinstance(data, AccountCreate)
        name, name_bn = clean_names(data.name, data.name_bn)
        plan.values = {
            "code": plan.code,
            "name": name,
            "name_bn": name_bn,
            "type": data.type,
            "normal_balance": data.normal_balance or rules.default_normal_balance(data.type),
            "is_group": data.is_group,
            "parent_id": data.parent_id,
            "description": data.description,
            "is_system": False,
        }

    def prepare_update(self, plan: Plan) -> None:
        body = self._body(plan)
        self._parent_given(plan, body)
        row: Account = plan.row
        account_type = body.pop("type", None)
        if account_type is not None and account_type != row.type:
            raise RowRejected(
                [
                    FieldError(
                        "type",
                        "immutable",
                        f"The type of account {row.code} is {row.type}; it cannot change",
                        f"{row.code} হিসাবের ধরন {row.type}; এটি বদলানো যায় না",
                    )
                ]
            )
        patch = self._patch_fields(plan, body)
        values: dict[str, Any] = {}
        if "name" in plan.given or "name_bn" in plan.given:
            name, name_bn = clean_names(getattr(patch, "name", None), getattr(patch, "name_bn", None))
            if "name" in plan.given:
                values["name"] = name
            if "name_bn" in plan.given:
                values["name_bn"] = name_bn
        for name in ("normal_balance", "description", "is_group", "parent_id"):
            if name in plan.given:
                values[name] = getattr(patch, name)
        plan.values = values

    async def load(self, plans: Sequence[Plan]) -> None:
        ids = {plan.values["parent_id"] for plan in plans if plan.values.get("parent_id")}
        codes = {plan.refs["parent_code"] for plan in plans if "parent_code" in plan.refs}
        if ids or codes:
            found = await Accounts(self.session).all(
                or_(among(self.session, Account.id, ids), among(self.session, Account.code, codes))
            )
            for row in found:
                ref = AccountRef(row.id, row.code, row.type, row.is_group, row.deleted_at is None)
                self.by_id[row.id] = ref
                self.by_code[row.code] = ref  # a stored account wins over an assumed one

    async def _parents(self) -> dict[uuid.UUID, uuid.UUID | None]:
        if self.parents is None:
            self.parents = await Accounts(self.session).parents()
        return self.parents

    async def check(self, plan: Plan) -> None:
        values = plan.values
        field_name = "parent_id"
        if "parent_code" in plan.refs:
            field_name = "parent_code"
            ref = self.by_code.get(plan.refs["parent_code"])
            if ref is None:
                raise _no_such_account(field_name)
            values["parent_id"] = ref.id
        row: Account | None = plan.row
        parent_id = values.get("parent_id")
        moves = "parent_id" in values and (row is None or parent_id != row.parent_id)
        if moves and parent_id is not None:
            parent = self.by_id.get(parent_id)
            if parent is None or not parent.live:
                raise _no_such_account(field_name)
            account_type = row.type if row is not None else values["type"]
            _normalized(rules.check_parent, account_type, parent.type, parent.is_group, field_name)
            if row is not None and rules.creates_cycle(row.id, parent_id, await self._parents()):
                raise _broken(
                    rules.RuleViolation(
                        field_name,
                        "An account cannot sit under itself or its own sub-account",
                        "কোনো হিসাব নিজের বা নিজের উপ-হিসাবের অধীনে থাকতে পারে না",
                        "account",
                    )
                )
        if (
            row is not None
            and values.get("is_group") is False
            and row.is_group
            and await Accounts(self.session).live_children_count(row.id)
        ):
            raise RowRejected(
                [
                    FieldError(
                        "is_group",
                        "account_has_children",
                        f"Account {row.code} has sub-accounts: it must stay a group",
                        f"{row.code} হিসাবের অধীনে উপ-হিসাব আছে: এটি গ্রুপ হিসাবেই থাকবে",
                    )
                ]
            )
        # Later rows of this request may sit under this account.
        ident = row.id if row is not None else plan.id
        ref = AccountRef(
            ident,
            plan.code,
            row.type if row is not None else values["type"],
            values.get("is_group", row.is_group if row is not None else False),
        )
        self.by_id[ident] = ref
        self.by_code[plan.code] = ref
        if self.parents is not None:
            self.parents[ident] = parent_id if moves else (row.parent_id if row is not None else None)


IMPORTERS: dict[str, type[Importer]] = {
    "customer": CustomerImporter,
    "vendor": VendorImporter,
    "product": ProductImporter,
    "account": AccountImporter,
}


# --- the request ---------------------------------------------------------------------------------------


def _changes_of(row: MasterRecord, values: Mapping[str, Any]) -> list[str]:
    """The fields an update would change (without changing anything)."""
    return [name for name, value in values.items() if name != "phone_index" and getattr(row, name) != value]


def _row_code(raw: Mapping[str, Any]) -> str:
    value = raw.get("code")
    if value is None:
        raise RowRejected([FieldError("code", "missing", "Field required", "এই ঘরটি আবশ্যক")])
    if not isinstance(value, str):
        raise RowRejected([FieldError("code", "string_type", "Input should be a valid string", "একটি লেখা হতে হবে")])
    return str(_normalized(rules.normalize_code, value))


async def import_records(actor: Actor, entity_key: str, request: ImportRequest) -> ImportResult:
    """Validate every row, then (unless ``dry_run``) create and update the valid ones together."""
    entity = ENTITIES[entity_key]
    importer = IMPORTERS[entity_key](actor, request)
    results: dict[int, RowResult] = {}

    def reject(index: int, code: str | None, error: RowRejected) -> None:
        results[index] = RowResult(
            index=index,
            code=code,
            status="invalid",
            errors=[RowError(field=e.field, code=e.code, reason=e.reason, reason_bn=e.reason_bn) for e in error.errors],
        )

    # 1. codes, and the records they name (one query)
    first_row: dict[str, int] = {}
    candidates: list[tuple[int, str, dict[str, Any]]] = []
    for index, raw in enumerate(request.rows):
        try:
            code = _row_code(raw)
        except RowRejected as error:
            reject(index, None, error)
            continue
        if code in first_row:
            reject(
                index,
                code,
                RowRejected(
                    [
                        FieldError(
                            "code",
                            "duplicate",
                            f"The code {code} is also on row {first_row[code]} of this request",
                            f"{code} কোডটি এই অনুরোধের {first_row[code]} নম্বর সারিতেও আছে",
                        )
                    ]
                ),
            )
            continue
        first_row[code] = index
        candidates.append((index, code, raw))
    existing = {
        row.code: row
        for row in await entity.repository(actor.session).all(
            among(actor.session, entity.repository.model.code, first_row)
        )
    }

    # 2. parse and normalize (no I/O)
    plans: list[Plan] = []
    for index, code, raw in candidates:
        plan = Plan(index, code, dict(raw), existing.get(code))
        try:
            if plan.row is not None and plan.row.deleted_at is not None:
                raise RowRejected(
                    [
                        FieldError(
                            "code",
                            "record_deleted",
                            f"{entity.label} {code} is deleted; restore it first",
                            f"{entity.label_bn} {code} মুছে ফেলা হয়েছে; আগে ফিরিয়ে আনুন",
                        )
                    ]
                )
            if plan.creates:
                importer.prepare_create(plan)
            else:
                importer.prepare_update(plan)
        except RowRejected as error:
            reject(index, code, error)
            continue
        plans.append(plan)

    # 3. lookups (one query each), then the rules that need them, in row order
    await importer.load(plans)
    accepted: list[Plan] = []
    for plan in plans:
        try:
            await importer.check(plan)
        except RowRejected as error:
            reject(plan.index, plan.code, error)
            continue
        accepted.append(plan)

    # 4. apply
    creates = [plan for plan in accepted if plan.creates]
    for plan in accepted:
        if plan.creates:
            results[plan.index] = RowResult(
                index=plan.index, code=plan.code, status="created", id=None if request.dry_run else plan.id
            )
            continue
        changed = _changes_of(plan.row, plan.values)
        status: RowStatus = "updated" if changed else "unchanged"
        results[plan.index] = RowResult(
            index=plan.index, code=plan.code, status=status, id=plan.row.id, changed=changed
        )
    if not request.dry_run:
        await _apply(importer, entity, creates, [plan for plan in accepted if results[plan.index].changed])

    ordered = [results[index] for index in range(len(request.rows))]
    counts = {status: sum(1 for item in ordered if item.status == status) for status in STATUSES}
    return ImportResult(entity=entity_key, dry_run=request.dry_run, results=ordered, **counts)


async def _apply(importer: Importer, entity: Entity[Any], creates: Iterable[Plan], updates: Iterable[Plan]) -> None:
    """Insert the new records in one multi-row statement (no unit-of-work bookkeeping: thousands of
    rows per second), announce each as a single create would, then apply the updates."""
    actor = importer.actor
    model = entity.repository.model
    columns = [column.key for column in model.__table__.columns]
    tenant, now = require_tenant_id(), utcnow()
    records = []
    for plan in creates:
        stamped = {
            **plan.values,
            "id": plan.id,
            "tenant_id": tenant,
            "version": 1,
            "created_at": now,
            "updated_at": now,
            "created_by": actor.user,
            "updated_by": actor.user,
        }
        records.append({name: stamped.get(name) for name in columns})
    if records:
        try:
            await actor.session.execute(insert(model), records)
        except IntegrityError:
            raise AppError(
                409,
                "conflict",
                f"Another change created some of these {entity.key} codes meanwhile; send the rows again",
                "এর মধ্যে অন্য কোনো পরিবর্তনে এই কোডগুলোর কয়েকটি তৈরি হয়েছে; সারিগুলো আবার পাঠান",
            ) from None
    for record in records:
        # The row as just written (what the create route announces after its flush).
        announce_created(actor, entity, cast(Any, SimpleNamespace(**record)))
    for plan in updates:
        row = plan.row
        current = row.version
        changes = apply_changes(row, plan.values)
        changes.pop("phone_index", None)
        await finish_update(actor, entity, row, changes, current)
        await importer.after_update(plan, changes)
