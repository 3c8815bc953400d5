"""The map stage: ERP records turned into labels of the user's schema, field by field.

``rules`` reads a mapping (TOML) and applies it to one record; ``stage`` maps every linked
record of the store to a label, with provenance.
"""
