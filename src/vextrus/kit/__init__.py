"""The platform kit: everything a service gets by construction. It knows no business."""
