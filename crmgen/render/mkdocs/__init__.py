"""The only package that imports MkDocs or Material (with :mod:`crmgen.accel`)."""
