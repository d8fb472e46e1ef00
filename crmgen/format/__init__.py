"""The client file format v1: its declaration, model, errors and validation."""
