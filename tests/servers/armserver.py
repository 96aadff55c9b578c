#!/usr/bin/env python3
"""armserver.py: a loopback stand-in for Azure Resource Manager (ARM), the Entra ID
v2 token endpoint, the App Service managed-identity endpoint and IMDS, for kvpe's
integration tests.  Python 3.11 standard library only; the `openssl` CLI verifies
the signatures of certificate client assertions.

  armserver.py --data DATA.json --cert server.pem --key server.key
               --port-file F --pidfile P [--port N] [--http-port-file F2]
               [--tenant T] [--client-id ID] [--client-secret S] [--client-cert CERT.pem]
               [--federated-token STRING] [--identity-header H] [--msi-client-id ID]
               [--page-size N] [--token-lifetime SECONDS]
               [--bind ADDR] [--http-bind ADDR] [--http-port N]

Listeners (both on 127.0.0.1 unless --bind / --http-bind say otherwise; the
DNS-path lab runs this server inside its own network namespace, https on the
namespace's 127.0.0.1 and http on 169.254.169.254:80 -- never any other address):
  https  ARM (GET any data path), Entra v2 (POST /{tenant}/oauth2/v2.0/token),
         the managed-identity endpoints and /_control/*.
  http   (only with --http-port-file) App Service MSI (GET /msi/token), IMDS
         (GET /metadata/identity/oauth2/token, GET /metadata/instance[/path]
         and /metadata/versions) and /_control/*.

DATA.json: {"collections": {"/lower/case/path": [item, ...]},
            "resources":   {"/lower/case/path": {...}},
            "imds": {"vms": {"<vm id, lower case>": {"compute": ..., "network": ...}},
                     "current": "<vm id>"}}          (optional)
IMDS instance metadata (as the service answers; /work/research/imds.md): header
"Metadata: true" required and X-Forwarded-For refused (400), api-version
required and known (400 with "newest-versions"), GET only, route filtering
(/metadata/instance/compute/resourceId) and format=text for leaves; 404 without
"imds" data.  POST /_control/imds {"vm": "<name or id>"} picks the VM that IMDS
describes (the lab's "where kvpe runs").

Control (no auth): POST /_control/faults appends rules, GET /_control/log lists the
requests served (control ones excluded), POST /_control/reset clears the log, the
rules and the jti replay set.  A rule is {"match": regex searched in path+"?"+query,
"method": "GET"|"POST"|null, "times": N (-1 = forever, default 1), "action": A};
the first active match applies.  Actions (applied in this order of precedence):
  {"delay": S}          sleep S seconds first, then carry on with the rest of A
  {"close": true}       drop the connection without a response
  {"raw": T, "status": 200, "content_type": ..., "headers": {...}}   exact body T
  {"huge": N}           200, Content-Length N, unterminated {"value":[... streamed
  {"status": N, "body": T, "headers": {...}, "retry_after": S}       injected error
  {"truncate": N}       real headers + Content-Length, first N body bytes, close
  {"append": T}         the real response with T appended to its body (trailing data)
  {"slow": S}           real response, body written one byte every S seconds
  {"token_expires_in": N}  token endpoints only: success expiring N s from now

The pid file and then the port file(s) are written (atomically) only once every
socket is listening and every page is encoded.  SIGTERM/SIGINT exit cleanly.
Secrets, tokens, assertions and request bodies are never logged or echoed.
"""
import argparse
import base64
import hashlib
import hmac
import http.server
import itertools
import json
import os
import re
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from urllib.parse import parse_qs, quote, unquote, urlsplit

JSON = "application/json; charset=utf-8"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ENTRA_PATH = re.compile(r"^/([^/]+)/oauth2/v2\.0/token/?$", re.I)
MSI_PATH = "/msi/token"
IMDS_PATH = "/metadata/identity/oauth2/token"
IMDS_INSTANCE = "/metadata/instance"
IMDS_VERSIONS_PATH = "/metadata/versions"
# IMDS api-versions (Microsoft Learn, instance-metadata-service; /work/research/imds.md).
IMDS_VERSIONS = ["2017-03-01", "2017-04-02", "2017-08-01", "2017-10-01", "2017-12-01", "2018-02-01",
                 "2018-04-02", "2018-10-01", "2019-02-01", "2019-03-11", "2019-04-30", "2019-06-01",
                 "2019-06-04", "2019-08-01", "2019-08-15", "2019-11-01", "2020-06-01", "2020-07-15",
                 "2020-09-01", "2020-10-01", "2020-12-01", "2021-01-01", "2021-02-01", "2021-03-01",
                 "2021-05-01", "2021-08-01", "2021-10-01", "2021-11-01", "2021-11-15", "2021-12-13",
                 "2023-07-01", "2023-11-15", "2024-03-15", "2025-04-07"]
MAX_BODY = 16 << 20
# ARM's error codes for the statuses a fault rule may inject without a body.
ARM_CODES = {400: "BadRequest", 401: "AuthenticationFailed", 403: "AuthorizationFailed",
             404: "ResourceNotFound", 405: "MethodNotAllowed", 409: "Conflict",
             429: "TooManyRequests", 500: "InternalServerError", 502: "BadGateway",
             503: "ServiceUnavailable", 504: "GatewayTimeout"}
# OAuth "error" strings for the same, used when the fault hits a token endpoint.
AAD_ERRORS = {400: "invalid_request", 401: "invalid_client", 429: "temporarily_unavailable",
              500: "server_error", 503: "temporarily_unavailable"}


def jbytes(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


def log(line):
    sys.stderr.write(line + "\n")


def b64u_decode(s):
    if not re.fullmatch(r"[A-Za-z0-9_-]*", s):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class AadError(Exception):
    """An Entra ID token error: HTTP status, OAuth error, AADSTS number, text."""

    def __init__(self, status, error, code, text):
        super().__init__(text)
        self.status, self.error, self.code, self.text = status, error, code, text


class State:
    """Everything shared between handler threads; `lock` guards the mutable parts."""

    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.tokens = {}          # access token -> expiry (epoch seconds)
        self.jtis = set()         # client-assertion jti values already accepted
        self.rules = []           # active fault rules
        self.log = []             # request log for /_control/log
        self.conn_ids = itertools.count(1)
        self.port = None          # HTTPS port, known after binding
        self.collections = {}     # path -> ({offset: b'{"value":[...]'}, item count)
        self.resources = {}       # path -> encoded JSON object
        self.imds = {}            # vm id (lower) -> /metadata/instance document
        self.imds_vm = None       # the VM IMDS describes now
        self.workdir = tempfile.mkdtemp(prefix="armserver.")
        self.pubkey = self.s1 = self.s256 = None
        if args.client_cert:
            self.load_client_cert(args.client_cert)

    def load_client_cert(self, path):
        # Thumbprints as Entra compares them: x5t = SHA-1, x5t#S256 = SHA-256 of the DER.
        with open(path) as f:
            m = re.search(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", f.read(), re.S)
        if not m:
            sys.exit(f"armserver: no certificate in {path}")
        der = ssl.PEM_cert_to_DER_cert(m.group(0))
        self.s1, self.s256 = b64u(hashlib.sha1(der).digest()), b64u(hashlib.sha256(der).digest())
        self.pubkey = os.path.join(self.workdir, "client-pub.pem")
        with open(self.pubkey, "wb") as f:
            subprocess.run(["openssl", "x509", "-pubkey", "-noout", "-in", path], stdout=f, check=True)

    def load_data(self, path):
        """Encode every ARM page once.  A page is stored without its closing brace:
        the nextLink echoes the caller's path casing and api-version, so only that
        short suffix is built per request."""
        with open(path) as f:
            data = json.load(f)
        ps = self.args.page_size
        for p, items in data.get("collections", {}).items():
            enc = [jbytes(i) for i in items]
            pages = {off: b'{"value":[' + b",".join(enc[off:off + ps]) + b"]"
                     for off in range(0, max(len(enc), 1), ps)}
            self.collections[norm_path(p)] = (pages, len(enc))
        for p, obj in data.get("resources", {}).items():
            self.resources[norm_path(p)] = jbytes(obj)
        imds = data.get("imds") or {}
        self.imds = {k.lower(): v for k, v in imds.get("vms", {}).items()}
        self.imds_vm = (imds.get("current") or "").lower() or None

    # -- tokens -------------------------------------------------------------
    def issue(self, lifetime):
        tok = secrets.token_urlsafe(48)      # 64 characters, opaque
        exp = time.time() + lifetime
        with self.lock:
            self.tokens[tok] = exp
        return tok, exp

    def bearer_state(self, header):
        """(present, ok, reason) for an Authorization header."""
        if header is None:
            return False, False, "The 'Authorization' header is missing."
        m = re.fullmatch(r"\s*Bearer\s+(\S+)\s*", header, re.I)
        exp = self.tokens.get(m.group(1)) if m else None
        if exp is None:
            return True, False, "The access token is invalid."
        if exp <= time.time():
            return True, False, "The access token has expired."
        return True, True, ""

    # -- fault rules --------------------------------------------------------
    def add_rules(self, rules):
        if isinstance(rules, dict):
            rules = [rules]
        parsed = []
        for r in rules:
            if not isinstance(r.get("action"), dict):
                raise ValueError("each rule needs an 'action' object")
            parsed.append({"re": re.compile(r.get("match") or ""), "method": (r.get("method") or "").upper() or None,
                           "times": int(r.get("times", 1)), "action": r["action"]})
        with self.lock:
            self.rules.extend(parsed)
            return len(self.rules)

    def take_rule(self, method, target, token_endpoint):
        """First active rule matching method and path+'?'+query; uses one of its `times`."""
        with self.lock:
            for r in self.rules:
                if r["times"] == 0 or (r["method"] and r["method"] != method):
                    continue
                if "token_expires_in" in r["action"] and not token_endpoint:
                    continue
                if r["re"].search(target):
                    if r["times"] > 0:
                        r["times"] -= 1
                    self.rules = [x for x in self.rules if x["times"] != 0]
                    return r["action"]
        return None


def norm_path(p):
    p = unquote(p).lower().rstrip("/")
    return p or "/"


def aad_body(error, code, text, corr):
    """Entra ID's error document (never containing the submitted credential)."""
    trace, ts = str(uuid.uuid4()), datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
    return {"error": error,
            "error_description": f"AADSTS{code}: {text}\r\nTrace ID: {trace}\r\nCorrelation ID: {corr}\r\nTimestamp: {ts}",
            "error_codes": [code], "timestamp": ts, "trace_id": trace, "correlation_id": corr,
            "error_uri": f"https://login.microsoftonline.com/error?code={code}"}


def arm_error(code, message):
    return {"error": {"code": code, "message": message}}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"     # keep-alive; every response has Content-Length
    server_version = "armserver/1.0"
    timeout = 60                      # idle keep-alive connections are dropped after this
    disable_nagle_algorithm = True    # headers and body are separate writes: avoid delayed-ACK stalls

    def setup(self):
        super().setup()
        self.conn = next(S.conn_ids)
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()   # in this thread, not the accept loop

    def log_message(self, fmt, *args):
        pass                              # the default line includes the query string

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    # -- plumbing -----------------------------------------------------------
    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            out = bytearray()
            while True:
                size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                if len(out) + size > MAX_BODY:
                    raise ValueError("body too large")
                out += self.rfile.read(size)
                self.rfile.readline(1024)
        n = int(self.headers.get("Content-Length") or 0)
        if n < 0 or n > MAX_BODY:
            raise ValueError("bad Content-Length")
        return self.rfile.read(n) if n else b""

    def head(self, status, length, ctype=JSON, headers=()):
        """Status line and headers, including Azure's request/correlation ids."""
        self.status = status
        self.send_response(status)
        self.send_header("x-ms-request-id", str(uuid.uuid4()))
        self.send_header("x-ms-correlation-request-id", self.corr)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in headers:
            self.send_header(k, str(v))
        self.send_header("Content-Length", str(length))
        self.end_headers()

    def record(self):
        """Append the log entry (once the status is known) and the stderr line."""
        if self.entry is not None:
            self.entry["status"] = self.status
            with S.lock:
                S.log.append(self.entry)
            self.entry = None
        log(f"{self.listener} {self.command} {self.path_only} {self.status if self.status else '-'}")

    def write(self, data):
        """Write, treating a vanished client as the end of the exchange."""
        try:
            self.wfile.write(data)
            self.wfile.flush()
            return True
        except OSError:
            self.close_connection = True
            return False

    def reply(self, status, body, ctype=JSON, headers=()):
        self.head(status, len(body), ctype, headers)
        self.record()
        self.write(body)

    # -- request routing ----------------------------------------------------
    def dispatch(self):
        t = time.time()
        self.listener = self.server.listener
        self.status, self.entry = None, None
        url = urlsplit(self.path)
        self.path_only, query = url.path, url.query
        self.corr = self.headers.get("x-ms-correlation-request-id") or str(uuid.uuid4())
        try:
            body = self.read_body()
        except ValueError:
            self.close_connection = True
            return self.reply(400, jbytes(arm_error("InvalidRequest", "Malformed request body framing.")))
        if self.path_only.startswith("/_control/"):
            return self.control(body)

        self.q = parse_qs(query, keep_blank_values=True)
        self.form = {}
        if self.command == "POST" and "x-www-form-urlencoded" in (self.headers.get("Content-Type") or ""):
            self.form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        https = self.listener == "https"
        m = ENTRA_PATH.match(self.path_only) if https else None
        low = self.path_only.lower().rstrip("/")
        kind = ("entra" if m else "msi" if low == MSI_PATH else "imds" if low == IMDS_PATH
                else "instance" if not https and (low == IMDS_INSTANCE or low.startswith(IMDS_INSTANCE + "/")
                                                  or low == IMDS_VERSIONS_PATH)
                else "arm" if https else "none")
        present, self.bearer_ok, self.bearer_why = S.bearer_state(self.headers.get("Authorization"))
        self.entry = {
            "t": t, "method": self.command, "path": self.path_only, "query": query, "status": None,
            "listener": self.listener, "auth": present, "bearer_ok": self.bearer_ok,
            "headers": {"user-agent": self.headers.get("User-Agent"),
                        "x-ms-correlation-request-id": self.headers.get("x-ms-correlation-request-id"),
                        "metadata": self.headers.get("Metadata"),
                        "x-identity-header_present": self.headers.get("X-IDENTITY-HEADER") is not None},
            "form_keys": sorted(self.form) if self.command == "POST" else [],
            "conn": self.conn}
        token_kind = kind in ("entra", "msi", "imds")
        action = S.take_rule(self.command, self.path_only + "?" + query, token_kind) or {}
        self.fault(action, kind, m.group(1) if m else None)

    # -- fault actions ------------------------------------------------------
    def fault(self, a, kind, tenant):
        token_kind = kind in ("entra", "msi", "imds")
        if "delay" in a:
            time.sleep(float(a["delay"]))
        if a.get("close"):                       # drop the connection, no response at all
            self.close_connection = True
            return self.record()
        if "raw" in a:                           # exact body, e.g. broken JSON or an HTML page
            return self.reply(int(a.get("status", 200)), str(a["raw"]).encode(),
                              a.get("content_type", JSON), list(a.get("headers", {}).items()))
        if "huge" in a:
            return self.huge(int(a["huge"]))
        if "status" in a:                        # an injected error, Retry-After when asked
            st = int(a["status"])
            headers = [("Retry-After", a["retry_after"])] if "retry_after" in a else []
            headers += list(a.get("headers", {}).items())
            if "body" in a:
                body = str(a["body"]).encode()
                ctype = JSON if body.lstrip()[:1] in (b"{", b"[") else "text/plain; charset=utf-8"
            elif token_kind:
                # AADSTS50000: Entra's generic "error issuing a token" code.
                ctype, body = JSON, jbytes(aad_body(AAD_ERRORS.get(st, "server_error"), 50000,
                                                    f"There was an error issuing a token (injected HTTP {st}).",
                                                    self.corr))
            else:
                code = ARM_CODES.get(st, "InternalServerError" if st >= 500 else "BadRequest")
                msg = ("The request is being throttled." if st == 429 else f"Injected HTTP {st}.")
                ctype, body = JSON, jbytes(arm_error(code, msg))
            return self.reply(st, body, ctype, headers)

        # The real response, possibly delivered badly.
        status, body, headers = self.produce(kind, tenant, a.get("token_expires_in"))
        if "append" in a:                        # a whole document, then more bytes
            body += str(a["append"]).encode()
        if "truncate" in a:                      # full headers/Content-Length, short body, close
            self.head(status, len(body), JSON, headers)
            self.record()
            self.write(body[:int(a["truncate"])])
            self.close_connection = True
        elif "slow" in a:                        # one byte every `slow` seconds
            self.head(status, len(body), JSON, headers)
            self.record()
            for i in range(len(body)):
                if not self.write(body[i:i + 1]):
                    return
                if i + 1 < len(body):
                    time.sleep(float(a["slow"]))
        else:
            self.reply(status, body, JSON, headers)

    def huge(self, n):
        """200 with Content-Length n and an endless, unterminated value array, streamed
        in 64 KiB chunks so that 50 MB+ never sits in memory."""
        self.head(200, n)
        self.record()
        start = b'{"value":['[:n]
        filler = b'{"id":"/subscriptions/filler/providers/microsoft.keyvault/vaults/filler","name":"filler"},' * 700
        if not self.write(start):
            return
        left = n - len(start)
        while left > 0:
            chunk = filler[:left]
            if not self.write(chunk):
                return
            left -= len(chunk)

    # -- normal responses ---------------------------------------------------
    def produce(self, kind, tenant, expires_in):
        """(status, body, extra headers) for a request served without faults."""
        if kind == "entra":
            try:
                return self.entra(tenant, expires_in)
            except AadError as e:
                return e.status, jbytes(aad_body(e.error, e.code, e.text, self.corr)), []
        if kind in ("msi", "imds"):
            return self.managed_identity(kind, expires_in)
        if kind == "arm":
            return self.arm()
        if kind == "instance":
            return self.instance()
        return 404, jbytes(arm_error("NotFound", "No such endpoint on this listener.")), []

    def arm(self):
        """ARM: bearer auth, then api-version, then the data."""
        if not self.bearer_ok:
            a = f'Bearer authorization_uri="https://login.microsoftonline.com/{S.args.tenant}", error="invalid_token"'
            return 401, jbytes(arm_error("AuthenticationFailed", f"Authentication failed. {self.bearer_why}")), \
                [("WWW-Authenticate", a)]
        api = self.q.get("api-version", [""])[0]
        if not api:
            return 400, jbytes(arm_error("MissingApiVersionParameter",
                                         "The api-version query parameter (?api-version=) is required for all requests.")), []
        if self.command != "GET":
            return 405, jbytes(arm_error("MethodNotAllowed", f"The HTTP method '{self.command}' is not supported.")), []
        key = norm_path(self.path_only)
        if key in S.collections:
            pages, total = S.collections[key]
            tok = self.q.get("$skiptoken", ["0"])[0]
            off = int(tok) if tok.isdigit() else -1
            if off not in pages:
                return 400, jbytes(arm_error("InvalidSkipToken", "The skip token is not valid.")), []
            nxt = off + S.args.page_size
            if nxt >= total:
                return 200, pages[off] + b"}", []
            link = (f"https://{S.args.bind}:{S.port}{self.path_only}?api-version={quote(api, safe='')}"
                    f"&%24skiptoken={nxt}")
            return 200, pages[off] + b',"nextLink":' + jbytes(link) + b"}", []
        if key in S.resources:
            return 200, S.resources[key], []
        return 404, jbytes(arm_error("ResourceNotFound", f"The Resource '{self.path_only}' was not found.")), []

    def instance(self):
        """IMDS GET /metadata/instance[/route] and /metadata/versions."""
        bad = lambda text: (400, jbytes({"error": "Bad request. " + text}), [])   # noqa: E731
        if self.command != "GET":
            return 405, jbytes({"error": "Method not allowed."}), []
        if (self.headers.get("Metadata") or "").lower() != "true":
            return bad("Required metadata header not specified")
        if self.headers.get("X-Forwarded-For") is not None:
            return bad("Request contains X-Forwarded-For header")
        low = self.path_only.lower().rstrip("/")
        if low == IMDS_VERSIONS_PATH:
            return 200, jbytes({"apiVersions": IMDS_VERSIONS}), []
        if self.q.get("api-version", [""])[0] not in IMDS_VERSIONS:
            return 400, jbytes({"error": "Bad request. api-version is invalid or was not specified in the request. "
                                         "For more information refer to aka.ms/azureimds",
                                "newest-versions": IMDS_VERSIONS[::-1][:3]}), []
        with S.lock:
            doc = S.imds.get(S.imds_vm or "")
        if doc is None:
            return 404, jbytes({"error": "Not found"}), []
        node = doc
        for part in [x for x in self.path_only.split("/")[3:] if x]:
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return 404, jbytes({"error": "Not found"}), []
        if self.q.get("format", ["json"])[0] == "text":
            if isinstance(node, (dict, list)):
                return bad("Query parameter 'format' value 'text' is only valid for leaf nodes")
            return 200, str(node).encode(), [("Content-Type", "text/plain; charset=utf-8")]
        return 200, jbytes(node), []

    def entra(self, tenant, expires_in):
        """Entra ID v2 client-credentials grant (secret, certificate or federated assertion)."""
        args = S.args
        f = lambda k: self.form.get(k, [None])[0]   # noqa: E731
        if self.command != "POST":
            raise AadError(405, "invalid_request", 900561, "The endpoint only accepts POST requests.")
        if tenant.lower() != args.tenant.lower():
            raise AadError(400, "invalid_request", 90002, f"Tenant '{tenant[:64]}' not found. Check to make sure "
                           "you have the correct tenant ID and are signing into the correct cloud.")
        for k in ("grant_type", "client_id", "scope"):
            if not f(k):
                raise AadError(400, "invalid_request", 900144,
                               f"The request body must contain the following parameter: '{k}'.")
        if f("grant_type") != "client_credentials":
            raise AadError(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
        cid = f("client_id")
        if cid != args.client_id:
            raise AadError(400, "unauthorized_client", 700016, f"Application with identifier '{cid[:64]}' was not "
                           f"found in the directory '{args.tenant}'.")
        if not f("scope").endswith("/.default"):
            raise AadError(400, "invalid_scope", 1002012, "The provided value for scope is not valid. Client "
                           "credential flows must have a scope value with /.default suffixed to the resource identifier.")
        secret, assertion = f("client_secret"), f("client_assertion")
        if secret is not None and assertion is not None:
            raise AadError(400, "invalid_request", 9002313, "Invalid request: only one of 'client_secret' and "
                           "'client_assertion' may be presented.")
        if secret is None and assertion is None:
            raise AadError(401, "invalid_client", 7000218, "The request body must contain the following "
                           "parameter: 'client_assertion' or 'client_secret'.")
        if secret is not None:
            if args.client_secret is None or not hmac.compare_digest(secret.encode(), args.client_secret.encode()):
                raise AadError(401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret "
                               f"being sent in the request is the client secret value, not the client secret ID, "
                               f"for a secret added to app '{args.client_id}'.")
        else:
            if f("client_assertion_type") is None:
                raise AadError(400, "invalid_request", 900144, "The request body must contain the following "
                               "parameter: 'client_assertion_type'.")
            if f("client_assertion_type") != ASSERTION_TYPE:
                raise AadError(400, "invalid_request", 9002313, "Invalid request: unsupported client_assertion_type.")
            self.check_assertion(assertion, tenant)
        life = args.token_lifetime if expires_in is None else int(expires_in)
        tok, _ = S.issue(life)
        return 200, jbytes({"token_type": "Bearer", "expires_in": life, "ext_expires_in": life,
                            "access_token": tok}), []

    def check_assertion(self, assertion, tenant):
        args = S.args
        # Workload identity: the federated (projected service-account) token itself.
        if args.federated_token is not None and hmac.compare_digest(assertion.encode(), args.federated_token.encode()):
            return
        bad = AadError(401, "invalid_client", 50027, "JWT token is invalid or malformed.")
        if S.pubkey is None:
            raise AadError(401, "invalid_client", 700027, "Client assertion failed signature validation: no "
                           "certificate credential is registered on the application.")
        parts = assertion.split(".")
        if len(parts) != 3:
            raise bad
        try:
            header, claims = json.loads(b64u_decode(parts[0])), json.loads(b64u_decode(parts[1]))
            sig = b64u_decode(parts[2])
        except ValueError:
            raise bad from None
        if not isinstance(header, dict) or not isinstance(claims, dict) or not sig:
            raise bad
        alg = header.get("alg")
        if alg not in ("PS256", "RS256"):
            raise AadError(401, "invalid_client", 5002738, "Invalid JWT token: unsupported signature algorithm. "
                           "Supported signing algorithms are: 'RS256, PS256'.")
        # PS256 assertions name the cert by SHA-256 thumbprint, RS256 ones by SHA-1.
        name, want = ("x5t#S256", S.s256) if alg == "PS256" else ("x5t", S.s1)
        if header.get(name) != want:
            raise AadError(401, "invalid_client", 700027, "The certificate with identifier used to sign the client "
                           "assertion is not registered on application.")
        if not self.verify(alg, (parts[0] + "." + parts[1]).encode(), sig):
            raise AadError(401, "invalid_client", 7000274, "Key was found, but use of the key to verify the "
                           "signature failed.")
        now = time.time()
        num = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)   # noqa: E731
        if claims.get("aud") != f"https://{S.args.bind}:{S.port}/{tenant}/oauth2/v2.0/token":
            raise AadError(401, "invalid_client", 700023, "Client assertion audience claim does not match Realm issuer.")
        if claims.get("iss") != args.client_id or claims.get("sub") != args.client_id:
            raise AadError(401, "invalid_client", 700021, "Client assertion application identifier doesn't match "
                           "'client_id' parameter.")
        if not num(claims.get("exp")) or claims["exp"] <= now or not num(claims.get("nbf")) or claims["nbf"] > now + 60:
            raise AadError(401, "invalid_client", 700024, "Client assertion is not within its valid time range.")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            raise bad
        with S.lock:
            if jti in S.jtis:
                raise AadError(401, "invalid_client", 7000273, "Client assertion replay detected: the 'jti' claim "
                               "has already been used.")
            S.jtis.add(jti)

    @staticmethod
    def verify(alg, data, sig):
        """RSASSA-PSS (SHA-256, MGF1 SHA-256, salt 32) or PKCS#1 v1.5 via `openssl dgst`."""
        d = tempfile.mkdtemp(dir=S.workdir)
        try:
            with open(os.path.join(d, "data"), "wb") as f:
                f.write(data)
            with open(os.path.join(d, "sig"), "wb") as f:
                f.write(sig)
            cmd = ["openssl", "dgst", "-sha256", "-verify", S.pubkey, "-signature", os.path.join(d, "sig")]
            if alg == "PS256":
                cmd += ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32",
                        "-sigopt", "rsa_mgf1_md:sha256"]
            r = subprocess.run(cmd + [os.path.join(d, "data")], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=30)
            return r.returncode == 0
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def managed_identity(self, kind, expires_in):
        """App Service (IDENTITY_ENDPOINT, 2019-08-01) and IMDS (2018-02-01) token endpoints."""
        args = S.args
        err = lambda st, text: (st, jbytes({"error": "invalid_request", "error_description": text}), [])  # noqa: E731
        if self.command != "GET":
            return err(405, "The endpoint only accepts GET requests.")
        if kind == "imds":
            # IMDS refuses requests without "Metadata: true" (an SSRF guard).
            if (self.headers.get("Metadata") or "").lower() != "true":
                return err(400, "Required metadata header not specified")
        else:
            hdr = self.headers.get("X-IDENTITY-HEADER")
            if args.identity_header is None or hdr is None or not hmac.compare_digest(hdr.encode(),
                                                                                      args.identity_header.encode()):
                return 401, jbytes({"error": "unauthorized_client",
                                    "error_description": "The X-IDENTITY-HEADER header is missing or invalid."}), []
        qv = lambda k: self.q.get(k, [""])[0]   # noqa: E731
        if not qv("api-version"):
            return err(400, "Required query variable 'api-version' is missing")
        resource = qv("resource")
        if not resource:
            return err(400, "Required audience parameter not specified")
        if qv("client_id") and qv("client_id") != args.msi_client_id:
            return err(400, "Identity not found")
        life = args.token_lifetime if expires_in is None else int(expires_in)
        tok, exp = S.issue(life)
        if kind == "msi":   # App Service: expires_on is epoch seconds, as a string
            return 200, jbytes({"access_token": tok, "expires_on": str(int(exp)), "resource": resource,
                                "token_type": "Bearer", "client_id": args.msi_client_id}), []
        now = int(time.time())   # IMDS sends every number as a string
        return 200, jbytes({"access_token": tok, "client_id": args.msi_client_id, "expires_in": str(life),
                            "expires_on": str(int(exp)), "ext_expires_in": str(life), "not_before": str(now),
                            "resource": resource, "token_type": "Bearer"}), []

    # -- control ------------------------------------------------------------
    def control(self, body):
        p, cmd = self.path_only.rstrip("/"), self.command
        if p == "/_control/faults" and cmd == "POST":
            try:
                n = S.add_rules(json.loads(body or b"[]"))
            except (ValueError, TypeError, AttributeError, re.error) as e:
                return self.reply(400, jbytes({"error": f"bad rules: {e}"}))
            return self.reply(200, jbytes({"active_rules": n}))
        if p == "/_control/log" and cmd == "GET":
            with S.lock:
                out = jbytes(S.log)
            return self.reply(200, out)
        if p == "/_control/imds" and cmd == "POST":
            try:
                want = str(json.loads(body or b"{}")["vm"]).lower()
            except (ValueError, TypeError, KeyError):
                return self.reply(400, jbytes({"error": "body must be {\"vm\": name or id}"}))
            with S.lock:
                hit = [k for k in S.imds if k == want or k.rsplit("/", 1)[-1] == want]
                if len(hit) == 1:
                    S.imds_vm = hit[0]
            if len(hit) != 1:
                return self.reply(404, jbytes({"error": "no such VM in the IMDS data"}))
            return self.reply(200, jbytes({"vm": hit[0]}))
        if p == "/_control/reset" and cmd == "POST":
            with S.lock:
                S.log.clear()
                S.rules.clear()
                S.jtis.clear()
            return self.reply(200, b"{}")
        return self.reply(404, jbytes({"error": "unknown control endpoint"}))


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512

    def __init__(self, addr, port, listener, ctx=None):
        super().__init__((addr, port), Handler)
        self.listener = listener
        if ctx is not None:
            # The TLS handshake runs in the handler thread (Handler.setup).
            self.socket = ctx.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    def handle_error(self, request, client_address):
        log(f"{self.listener} connection error: {type(sys.exc_info()[1]).__name__}")


def write_atomic(path, text):
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description="Local ARM + Entra ID + managed-identity stand-in.")
    ap.add_argument("--data", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--pidfile", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--http-bind", default="127.0.0.1")
    ap.add_argument("--http-port", type=int, default=0)
    ap.add_argument("--http-port-file")
    ap.add_argument("--tenant", default="00000000-0000-0000-0000-0000000000a1")
    ap.add_argument("--client-id", default="00000000-0000-0000-0000-0000000000c1")
    ap.add_argument("--client-secret")
    ap.add_argument("--client-cert")
    ap.add_argument("--federated-token")
    ap.add_argument("--identity-header")
    ap.add_argument("--msi-client-id", default="00000000-0000-0000-0000-0000000000d1")
    ap.add_argument("--page-size", type=int, default=100)
    ap.add_argument("--token-lifetime", type=int, default=3599)
    args = ap.parse_args()
    if args.page_size < 1:
        ap.error("--page-size must be >= 1")

    global S
    S = State(args)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    servers = [Server(args.bind, args.port, "https", ctx)]
    S.port = servers[0].server_address[1]
    if args.http_port_file:
        servers.append(Server(args.http_bind, args.http_port, "http"))
    # The pid file and the stop signal come before the (for a 50,000-vault
    # tenant, many seconds long) load, so a caller that gives up waiting can
    # still stop us.
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    write_atomic(args.pidfile, f"{os.getpid()}\n")
    S.load_data(args.data)   # after binding, before anyone learns the port
    if stop.is_set():
        return
    for s in servers:
        threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    write_atomic(args.port_file, f"{S.port}\n")
    if args.http_port_file:
        write_atomic(args.http_port_file, f"{servers[1].server_address[1]}\n")
    log(f"armserver: https on {args.bind}:{S.port}"
        + (f", http on {args.http_bind}:{servers[1].server_address[1]}" if args.http_port_file else ""))
    while not stop.wait(1):
        pass
    for s in servers:
        s.shutdown()
        s.server_close()
    shutil.rmtree(S.workdir, ignore_errors=True)
    log("armserver: stopped")


S = None
if __name__ == "__main__":
    main()
