"""Bringing clients in from spreadsheets and phones, and taking them out again.

- :mod:`.csvio` decodes CSV (UTF-8, BOM, GBK/GB18030, ...) and writes it for Excel;
- :mod:`.columns` maps English and Chinese headers to client fields;
- :mod:`.vcard` reads and writes vCards through vobject;
- :mod:`.importer` plans and writes new client files; :mod:`.exporter` writes exports.
"""
