// inventory-api: one X-Ray segment per request (aws-xray-sdk-core sends it
// over UDP to AWS_XRAY_DAEMON_ADDRESS, which xraybake sets). On SIGTERM
// (docker stop, ECS) it stops taking requests, finishes the open ones and
// exits 0; xraybake-init then gives the daemon flush_grace to send.
'use strict';
const http = require('http');
const AWSXRay = require('aws-xray-sdk-core');

AWSXRay.middleware.setDefaultName('inventory-api');
const stock = { apples: 12, pears: 7 };

const server = http.createServer((req, res) => {
  const segment = AWSXRay.middleware.traceRequestResponseCycle(req, res);  // closed when the response ends
  const item = decodeURIComponent(req.url.replace(/^\/items\/?/, ''));
  segment.addAnnotation('item', item || '*');
  const body = item ? (item in stock ? { item, count: stock[item] } : null) : stock;
  res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body ?? { error: 'no such item' }) + '\n');
});

server.listen(Number(process.env.PORT || 3000), () => console.log(`inventory-api: pid ${process.pid} listening on ${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
