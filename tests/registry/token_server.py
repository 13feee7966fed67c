#!/usr/bin/env python3
"""A Docker token server for tests: answers GET /token?service=S&scope=...
with a JWT (RS256, x5c header) that docker-registry's token auth accepts,
after checking Basic credentials, the way auth.docker.io and ECR's
token endpoints behave.

usage: token_server.py PORT KEY.pem CERT.pem ISSUER USER PASSWORD
"""
import base64
import http.server
import json
import os
import subprocess
import sys
import time
import urllib.parse

PORT, KEY, CERT, ISSUER, USER, PASSWORD = sys.argv[1:7]


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def cert_der_b64():
    der = subprocess.run(["openssl", "x509", "-in", CERT, "-outform", "DER"], check=True, capture_output=True).stdout
    return base64.b64encode(der).decode()


X5C = cert_der_b64()


def sign(payload):
    return subprocess.run(["openssl", "dgst", "-sha256", "-sign", KEY], input=payload, check=True,
                          capture_output=True).stdout


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        if url.path != "/token":
            return self.reply(404, {"error": "not found"})
        auth = self.headers.get("Authorization", "")
        expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        if auth != expected:
            return self.reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]})
        query = urllib.parse.parse_qs(url.query)
        access = []
        for scope in query.get("scope", []):
            kind, name, actions = scope.split(":")[0], ":".join(scope.split(":")[1:-1]), scope.split(":")[-1]
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [X5C]}
        claims = {"iss": ISSUER, "sub": USER, "aud": query.get("service", [""])[0], "exp": now + 600,
                  "nbf": now - 60, "iat": now, "jti": b64url(os.urandom(12)), "access": access}
        signing_input = (b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())).encode()
        token = signing_input.decode() + "." + b64url(sign(signing_input))
        with open(os.environ.get("TOKEN_LOG", os.devnull), "a") as log:
            log.write(" ".join(query.get("scope", [])) + "\n")
        self.reply(200, {"token": token, "access_token": token, "expires_in": 600})


http.server.ThreadingHTTPServer(("127.0.0.1", int(PORT)), Handler).serve_forever()
