"""Speed, behind one seam: caches, incremental and chunked builds, the live preview.

Only the build orchestrator, the book loader and ``serve`` import it; with it switched off
(``--no-cache``) every output is byte-identical."""
