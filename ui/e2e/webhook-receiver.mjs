// An integrator's webhook receiver, for COP's tests: it verifies each
// request with the `standardwebhooks` package (an implementation of the
// Standard Webhooks specification independent of COP's), and answers as a
// test tells it to. platform/web/webtest/receiver.go drives it.
//
//   node ui/e2e/webhook-receiver.mjs     prints "listening PORT", then serves:
//   POST /control {secrets, fail, failStatus, retryAfter}   secrets to verify
//        with (each alone); the next `fail` requests are answered failStatus
//        (500), with Retry-After when given
//   GET  /control   {received: [{id, timestamp, signatures, verifiedBy,
//        error, answered, type, subject, at}]}: verifiedBy lists the indexes
//        of the secrets that verify the request on their own; at is when it
//        came (ms since the epoch)
//   POST anything else: a webhook; answered 204 once verified, 401 if no
//        secret verifies it, failStatus while failing

import http from 'node:http';
import { Webhook } from 'standardwebhooks';

let secrets = [];
let fail = 0;
let failStatus = 500;
let retryAfter = '';
const received = [];

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function answer(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body === undefined ? '' : JSON.stringify(body));
}

const server = http.createServer(async (req, res) => {
  const body = await readBody(req);
  if (req.url === '/control') {
    if (req.method === 'GET') return answer(res, 200, { received });
    const c = JSON.parse(body);
    secrets = c.secrets ?? secrets;
    fail = c.fail ?? 0;
    failStatus = c.failStatus ?? 500;
    retryAfter = c.retryAfter ?? '';
    return answer(res, 204);
  }
  const headers = {
    'webhook-id': req.headers['webhook-id'] ?? '',
    'webhook-timestamp': req.headers['webhook-timestamp'] ?? '',
    'webhook-signature': req.headers['webhook-signature'] ?? '',
  };
  const verifiedBy = [];
  let error = '';
  secrets.forEach((secret, i) => {
    try {
      new Webhook(secret).verify(body, headers);
      verifiedBy.push(i);
    } catch (e) {
      error = String(e.message ?? e);
    }
  });
  let type = '';
  let subject = '';
  try {
    ({ type = '', subject = '' } = JSON.parse(body));
  } catch {
    error = 'the body is not JSON';
  }
  let status = 204;
  if (fail > 0) {
    fail--;
    status = failStatus;
  } else if (verifiedBy.length === 0) {
    status = 401;
  }
  received.push({
    id: headers['webhook-id'], timestamp: headers['webhook-timestamp'], signatures: headers['webhook-signature'].split(' ').length,
    contentType: req.headers['content-type'] ?? '', verifiedBy, error: verifiedBy.length ? '' : error, answered: status, type,
    subject, at: Date.now(),
  });
  if (status !== 204 && retryAfter) res.setHeader('retry-after', retryAfter);
  answer(res, status, status === 204 ? undefined : { status });
});

server.listen(0, '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
