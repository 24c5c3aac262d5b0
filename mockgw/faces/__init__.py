"""Faces: one folder per API the gateway serves (wire types, validation, parse, render)."""
