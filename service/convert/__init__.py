"""The converters that turn DOCX into PDF, one module per converter.

The setting VB_CONVERTER names the module (unoserver, gotenberg); each such module exposes
`open_converter(settings, *, wait=False) -> Converter`, which returns a started converter
(service.core.converter.Converter) that its caller closes. The unoserver converter's parts,
lowest first:

- process: the Process interface (start, stop, failure) and an instance's record;
- supervisor: one Supervisor over any Process (restarts, probes, checkout and recycling);
- slots, office_profile, rpc_client: a local server's ports and directory, its LibreOffice
  profile and pipe, and the XML-RPC client;
- office_process: the Processes themselves, a local server and a remote unoserver;
- pool: the converter, a ConverterPool that converts on the supervised instances;
- rpc_server and office: the private server program each local instance runs.
"""
