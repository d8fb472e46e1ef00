"""crmgen: a CRM for salespeople that lives in plain files."""

__version__ = "0.1.0"
