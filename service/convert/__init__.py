"""The converters that turn DOCX into PDF, one module per converter.

The setting VB_CONVERTER names the module (unoserver, gotenberg); each such module exposes
`open_converter(settings, *, wait=False) -> Converter`, which returns a started converter
(service.core.converter.Converter) that its caller closes. The other modules are the
unoserver converter's parts: pool (checkout and retry), instances (supervision) and
unoserver_process (one local server and its XML-RPC client).
"""
