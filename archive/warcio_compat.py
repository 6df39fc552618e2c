"""warcio 1.8.1 with brotli 1.2: make warcio's br decoding work again.

warcio sets `unused_data = None` on a `brotli.Decompressor`; brotli 1.2 (which
Scrapy needs) no longer allows attributes on it, so any warcio code path that
decodes a `Content-Encoding: br` payload (`warcio check`, the `wacz` tool,
`content_stream()`) raises AttributeError. `patch()` registers a decompressor
factory that uses a subclass, which does take the attribute.
"""

from __future__ import annotations


def patch() -> None:
    try:
        import brotli
    except ImportError:  # pragma: no cover
        return
    from warcio.bufferedreaders import BufferedReader

    class _Decompressor(brotli.Decompressor):
        pass

    def brotli_decompressor():
        decomp = _Decompressor()
        decomp.unused_data = None
        return decomp

    BufferedReader.DECOMPRESSORS["br"] = brotli_decompressor


# Run a warcio-based console tool with the patch: python -m archive.warcio_compat wacz create ...
if __name__ == "__main__":
    import sys

    patch()
    tool, args = sys.argv[1], sys.argv[2:]
    if tool == "wacz":
        from wacz.main import main
    elif tool == "warcio":
        from warcio.cli import main
    else:
        raise SystemExit(f"unknown tool {tool!r}")
    sys.exit(main(args))
