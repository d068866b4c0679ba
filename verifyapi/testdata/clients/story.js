// story.js runs the Verify story of otpkit issue 12 with Twilio's official
// Node SDK (npm twilio), unchanged, against a running `otp serve`:
//
//	TWILIO_ACCOUNT_SID=AC... TWILIO_AUTH_TOKEN=... node story.js http://127.0.0.1:PORT OUTBOX
//
// OUTBOX is the server's outbox file, where the codes are read back. It
// prints one line per step and exits 1 at the first surprise.
"use strict";
const fs = require("fs");
const twilio = require("twilio");

const [baseUrl, outboxPath] = process.argv.slice(2);
if (!baseUrl || !outboxPath) {
  console.error("usage: node story.js BASE_URL OUTBOX");
  process.exit(2);
}

// The one-line switch: the client reads TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.
const client = twilio();
client.verify.baseUrl = baseUrl;
const verify = client.verify.v2;

function fail(msg) {
  console.error("story.js: " + msg);
  process.exit(1);
}

function expect(cond, msg) {
  if (!cond) fail(msg);
}

// The newest code the outbox holds for number.
function lastCode(number) {
  const lines = fs.readFileSync(outboxPath, "utf8").split("\n").filter(Boolean);
  for (let i = lines.length - 1; i >= 0; i--) {
    const e = JSON.parse(lines[i]);
    if (e.to === number) return e.code;
  }
  fail("no message to " + number + " in the outbox");
}

// A code of the same length that is not c.
function otherCode(c) {
  return c.replace(/[0-9]/g, (d) => String((Number(d) + 1) % 10));
}

// The Twilio error code of a call that must fail.
async function restCode(promise) {
  try {
    await promise;
  } catch (err) {
    expect(err instanceof twilio.RestException, "want a RestException, got " + err);
    return err.code;
  }
  fail("the call succeeded, want an error");
}

async function main() {
  const s = await verify.services.create({ friendlyName: "Acme" });
  expect(/^VA[0-9a-f]{32}$/.test(s.sid) && s.friendlyName === "Acme", "service: " + s.sid + " " + s.friendlyName);
  const fsvc = await verify.services(s.sid).fetch();
  expect(fsvc.sid === s.sid && fsvc.friendlyName === "Acme", "fetch service: " + fsvc.sid);
  console.log("service " + s.sid);
  const svc = verify.services(s.sid);

  const first = "+12015550141";
  const v = await svc.verifications.create({ to: first, channel: "sms" });
  expect(/^VE[0-9a-f]{32}$/.test(v.sid) && v.status === "pending" && v.to === first && v.channel === "sms",
    "verification: " + v.sid + " " + v.status + " " + v.to + " " + v.channel);
  console.log("sent " + v.sid);
  const right = lastCode(first);
  let c = await svc.verificationChecks.create({ to: first, code: otherCode(right) });
  expect(c.status === "pending" && c.valid === false, "wrong check: " + c.status + " " + c.valid);
  console.log("wrong check: pending");
  c = await svc.verificationChecks.create({ to: first, code: right });
  expect(c.status === "approved" && c.valid === true && c.sid === v.sid, "right check: " + c.status + " " + c.valid);
  console.log("right check: approved");
  let code = await restCode(svc.verificationChecks.create({ to: first, code: right }));
  expect(code === 20404, "second check: code " + code + ", want 20404");
  console.log("second check: 20404");

  const second = "+12015550142";
  const v2 = await svc.verifications.create({ to: second, channel: "sms" });
  const wrong = otherCode(lastCode(second));
  for (let i = 1; i <= 4; i++) {
    c = await svc.verificationChecks.create({ verificationSid: v2.sid, code: wrong });
    expect(c.status === "pending" && c.valid === false, "wrong check " + i + ": " + c.status);
  }
  code = await restCode(svc.verificationChecks.create({ verificationSid: v2.sid, code: wrong }));
  expect(code === 60202, "fifth wrong check: code " + code + ", want 60202");
  let f = await svc.verifications(v2.sid).fetch();
  expect(f.status === "max_attempts_reached", "after five wrong checks: " + f.status);
  console.log("five wrong checks: 60202, max_attempts_reached");

  const third = "+12015550143";
  const v3 = await svc.verifications.create({ to: third, channel: "sms" });
  const code3 = lastCode(third);
  const cv = await svc.verifications(v3.sid).update({ status: "canceled" });
  expect(cv.status === "canceled" && cv.sid === v3.sid, "cancel: " + cv.status);
  f = await svc.verifications(v3.sid).fetch();
  expect(f.status === "canceled" && f.valid === false && f.to === third, "fetch canceled: " + f.status);
  code = await restCode(svc.verificationChecks.create({ to: third, code: code3 }));
  expect(code === 20404, "check after cancel: code " + code + ", want 20404");
  console.log("canceled, fetched: canceled");
  console.log("story.js: ok");
}

main().catch((err) => fail(String(err && err.stack ? err.stack : err)));
