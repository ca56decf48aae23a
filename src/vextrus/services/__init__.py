"""Service packages; each registers under the vextrus.services entry-point group."""
