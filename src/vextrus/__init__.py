"""The Vextrus ERP platform."""
