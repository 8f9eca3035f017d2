// test/e2e/lib/lambda-stub.mjs: a small HTTP server on the loopback
// interface that serves the Lambda Invoke API
// (POST /2015-03-31/functions/<name>/invocations, the API of the Runtime
// Interface Emulator, `sam local start-lambda` and LocalStack) and plain
// webhooks (POST /hook/<name>), for the push delivery tests.
//
// A function is a JavaScript handler (event) => response, as on Lambda: its
// return value is the 200 answer's JSON body; a thrown error becomes a 200
// with X-Amz-Function-Error: Unhandled and {errorType, errorMessage}, as the
// Invoke API answers.  A handler may instead return raw({status, headers,
// body, delayMs, trickleMs, hang}) to shape the HTTP answer (faults).
//
// With credentials set, every request must carry an AWS Signature Version 4
// that the AWS SDK's own signer (@smithy/signature-v4) computes identically
// from the headers the request signed; otherwise the stub answers 403 like
// Lambda (InvalidSignatureException).  Every request is logged.
//
// Run standalone for the TAP tests (see the end of this file).

import http from 'node:http';
import { createHash } from 'node:crypto';
import { appendFileSync } from 'node:fs';

const RAW = Symbol('raw');

// A handler's answer that shapes the HTTP response itself.
export function raw(spec) {
  return { [RAW]: true, ...spec };
}

// Verify the SigV4 signature of a request with the SDK's signer; returns
// null if it is right, else the reason.
async function verifySignature(req, body, creds) {
  const auth = req.headers.authorization;
  if (!auth) return 'no Authorization header';
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return `malformed Authorization: ${auth}`;
  const [, keyId, , region, service, signedHeaders] = m;
  if (keyId !== creds.accessKeyId) return `unknown access key ${keyId}`;
  if (service !== 'lambda') return `service ${service}`;
  const bodyHash = createHash('sha256').update(body).digest('hex');
  if (req.headers['x-amz-content-sha256'] !== bodyHash) return 'x-amz-content-sha256 is not the hash of the body';
  const amzDate = req.headers['x-amz-date'];
  const signingDate = new Date(amzDate.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'));
  if (Math.abs(Date.now() - signingDate.getTime()) > 5 * 60 * 1000) return 'signing date more than 5 minutes off';
  const url = new URL(req.url, 'http://stub');
  const headers = {};
  for (const name of signedHeaders.split(';')) {
    if (req.headers[name] === undefined) return `signed header ${name} missing`;
    headers[name] = req.headers[name];
  }
  const query = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  // the SDK's signer, loaded only when signing is tested (the standalone
  // stub of the TAP tests runs without node_modules)
  const { SignatureV4 } = await import('@smithy/signature-v4');
  const { Sha256 } = await import('@aws-crypto/sha256-js');
  const signer = new SignatureV4({
    credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey, sessionToken: creds.sessionToken },
    region: creds.region || region, service: 'lambda', sha256: Sha256,
  });
  const signed = await signer.sign({
    method: req.method, protocol: 'http:', hostname: '127.0.0.1', path: url.pathname, query, headers, body,
  }, { signingDate });
  return signed.headers.authorization === auth ? null
    : `signature mismatch: SDK computed ${signed.headers.authorization}`;
}

// Start the stub; handlers: { name: async (event, info) => response }.
export function startStub({ port = 0, handlers = {}, credentials = null } = {}) {
  const log = [];
  const sockets = new Set();
  let opened = 0;
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url, 'http://stub');
    const invoke = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(url.pathname);
    const hook = /^\/hook\/([^/]+)$/.exec(url.pathname);
    const name = decodeURIComponent((invoke || hook || [])[1] || '');
    const entry = { at: Date.now(), method: req.method, path: url.pathname, name, headers: req.headers };
    try { entry.event = JSON.parse(body); } catch { entry.event = body; }
    log.push(entry);
    if (credentials) {
      entry.signatureError = await verifySignature(req, body, credentials);
      if (entry.signatureError) {
        res.writeHead(403, { 'Content-Type': 'application/json', 'X-Amzn-ErrorType': 'InvalidSignatureException' });
        res.end(JSON.stringify({ message: entry.signatureError }));
        return;
      }
    }
    const handler = handlers[name];
    if (req.method !== 'POST' || !handler) {
      res.writeHead(404, { 'Content-Type': 'application/json', 'X-Amzn-ErrorType': 'ResourceNotFoundException' });
      res.end(JSON.stringify({ Type: 'User', message: `Function not found: ${name}` }));
      return;
    }
    let out;
    try {
      out = await handler(entry.event, entry);
    } catch (err) {
      entry.outcome = 'Unhandled';
      res.writeHead(200, { 'Content-Type': 'application/json', 'X-Amz-Function-Error': 'Unhandled' });
      res.end(JSON.stringify({ errorType: err.name, errorMessage: err.message }));
      return;
    }
    if (!(out && out[RAW])) {
      entry.outcome = 'OK';
      entry.response = out;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(out === undefined ? 'null' : JSON.stringify(out));
      return;
    }
    entry.outcome = 'raw';
    if (out.hang) return;                       // accept, never answer
    if (out.delayMs) await new Promise((r) => setTimeout(r, out.delayMs));
    res.writeHead(out.status ?? 200, { 'Content-Type': 'application/json', ...(out.headers || {}) });
    const text = out.body ?? '';
    if (out.trickleMs) {
      for (const ch of text) {
        if (res.destroyed) return;
        res.write(ch);
        await new Promise((r) => setTimeout(r, out.trickleMs));
      }
      res.end();
    } else {
      res.end(text, () => { if (out.onAnswered) out.onAnswered(); });
    }
  });
  server.keepAliveTimeout = 60000;
  server.on('connection', (s) => { opened += 1; sockets.add(s); s.on('close', () => sockets.delete(s)); });
  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () => {
      resolve({
        port: server.address().port,
        log,
        server,
        connections: () => sockets.size,
        connectionsOpened: () => opened,
        close: () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
      });
    });
  });
}

// Standalone (TAP tests, no node_modules needed): node lambda-stub.mjs
// PORT LOGFILE DELAYMS serves the function "ok", which answers {} after
// DELAYMS; LOGFILE gets a line when a request arrives ("recv", with the
// batch's sequence numbers) and when its answer has been handed to the
// kernel ("answered").
if (import.meta.url === `file://${process.argv[1]}`) {
  const [port, logFile, delayMs] = process.argv.slice(2);
  let n = 0;
  const line = (o) => appendFileSync(logFile, `${JSON.stringify(o)}\n`);
  const ok = async (event) => {
    const id = `${process.pid}-${++n}`;
    line({ ev: 'recv', id, t: Date.now(), seqs: event.Records.map((r) => r.dynamodb.SequenceNumber) });
    await new Promise((r) => setTimeout(r, Number(delayMs || 0)));
    return raw({ body: '{}', onAnswered: () => line({ ev: 'answered', id, t: Date.now() }) });
  };
  const stub = await startStub({ port: Number(port), handlers: { ok } });
  process.stdout.write(`listening ${stub.port}\n`);
  process.on('SIGTERM', () => process.exit(0));
}
