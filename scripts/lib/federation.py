"""A local stand-in for AWS sign-in's federation endpoint, for the demo.

It speaks the endpoint's wire format: getSigninToken takes the Session JSON
(sessionId, sessionKey, sessionToken), checks it the way AWS does, by asking
STS (moto, at $AWS_ENDPOINT_URL) whose credentials they are, and hands out a
sign-in token; login redeems a token once and lands on a local page that
says who is signed in and which console page AWS would show. There is no
internet in the demo, so the console itself is that page.

    python3 federation.py PORT          # serve on 127.0.0.1:PORT
    python3 federation.py check URL     # follow a login URL once, print who it signs in
"""

import html
import json
import secrets
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3

tokens = {}  # sign-in token -> the ARN it was issued for
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass  # no request log: the queries carry credentials

    def answer(self, status, body, ctype="text/plain; charset=utf-8", location=None):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        if location:
            self.send_header("Location", location)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        if u.path == "/federation" and q.get("Action") == "getSigninToken":
            return self.signin_token(q)
        if u.path == "/federation" and q.get("Action") == "login":
            return self.login(q)
        if u.path == "/oauth" and q.get("Action") == "logout":
            return self.answer(302, "", location=q.get("redirect_uri", "/"))
        if u.path == "/console":
            page = "<!doctype html><title>AWS console (stand-in)</title><h1>Signed in as %s</h1><p>AWS would now show %s</p>" % (
                html.escape(q.get("arn", "")), html.escape(q.get("dest", "")))
            return self.answer(200, page, "text/html; charset=utf-8")
        self.answer(400, "unknown Action\n")

    def signin_token(self, q):
        try:
            s = json.loads(q.get("Session", ""))
            sts = boto3.client("sts", region_name="us-east-1", aws_access_key_id=s["sessionId"],
                               aws_secret_access_key=s["sessionKey"], aws_session_token=s["sessionToken"])
            arn = sts.get_caller_identity()["Arn"]
        except Exception:  # what AWS says for a Session it cannot use
            return self.answer(400, "the Session is not credentials STS knows\n")
        tok = "demo-" + secrets.token_urlsafe(24)
        with lock:
            tokens[tok] = arn
        self.answer(200, json.dumps({"SigninToken": tok}), "application/json")

    def login(self, q):
        with lock:
            arn = tokens.pop(q.get("SigninToken", ""), None)
        if arn is None or not q.get("Destination") or not q.get("Issuer"):
            return self.answer(400, "unknown or used sign-in token, or no Destination or Issuer\n")
        where = "/console?" + urllib.parse.urlencode({"arn": arn, "dest": q["Destination"]})
        self.answer(302, "", location=where)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None


def check(url):
    """Follow a login URL once; print the ARN and page it lands on."""
    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(url, timeout=10)
        print("refused: no redirect")
        return 1
    except urllib.error.HTTPError as e:
        if e.code != 302:
            print("refused:", e.read().decode().strip())
            return 1
        loc = urllib.parse.urlsplit(e.headers["Location"])
        q = dict(urllib.parse.parse_qsl(loc.query))
        print("accepted: signed in as %s, landing on %s" % (q["arn"], q["dest"]))
        return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "check":
        sys.exit(check(sys.argv[2]))
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    print("ready", flush=True)
    server.serve_forever()
