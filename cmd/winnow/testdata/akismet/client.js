// Drives the npm Akismet client (akismet-api v6) against a running winnow, as a
// WordPress-like site would: TestAkismetClient in akismet_test.go runs it with
// WINNOW_HOST (host:port on loopback), AKISMET_KEY and AKISMET_BLOG, and reads the one
// JSON line it prints.
//
// The client sends comment-check and the reports to http://KEY.<host>/1.1/..., with
// the key as the host's first label, as it does to Akismet. Nothing resolves
// KEY.localhost here, so dns.lookup is made to answer 127.0.0.1 for every name
// under localhost, in this process only.
'use strict';
const dns = require('dns');
const realLookup = dns.lookup;
dns.lookup = function (hostname, options, callback) {
  if (typeof options === 'function') {
    callback = options;
    options = {};
  }
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) {
    if (options && options.all) {
      return process.nextTick(callback, null, [{ address: '127.0.0.1', family: 4 }]);
    }
    return process.nextTick(callback, null, '127.0.0.1', 4);
  }
  return realLookup.call(dns, hostname, options, callback);
};

const { AkismetClient } = require('akismet-api');

const host = process.env.WINNOW_HOST;
const blog = process.env.AKISMET_BLOG;
const client = new AkismetClient({ key: process.env.AKISMET_KEY, blog, host, protocol: 'http' });
const wrong = new AkismetClient({ key: 'deadbeef0000', blog, host, protocol: 'http' });

const reader = {
  ip: '203.0.113.9',
  useragent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  referrer: blog,
  permalink: blog + '2024/06/a-post/',
  type: 'comment',
  name: 'Ann Reader',
  email: 'ann@example.org',
  content: 'Thanks for writing this up, the part about backups saved my weekend.',
};
const spammer = {
  ...reader,
  name: 'viagra-test-123',
  email: 'seller@example.net',
  content: 'Cheap pills without prescription, order today at our shop',
};

async function settle(p) {
  try {
    return { value: await p };
  } catch (err) {
    return { error: String((err && err.message) || err) };
  }
}

(async () => {
  const out = {};
  out.verify = await settle(client.verifyKey());
  out.ham = await settle(client.checkSpam(reader));
  out.spam = await settle(client.checkSpam(spammer));
  out.submitSpam = await settle(client.submitSpam(spammer));
  out.submitHam = await settle(client.submitHam(reader));
  out.wrongVerify = await settle(wrong.verifyKey());
  out.wrongCheck = await settle(wrong.checkSpam(reader));
  process.stdout.write(JSON.stringify(out) + '\n');
})().catch((err) => {
  process.stderr.write(String((err && err.stack) || err) + '\n');
  process.exit(1);
});
