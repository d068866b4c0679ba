// Progressive enhancement for the code page: a live countdown to expiry,
// resend buttons that wait out the cooldown, and WebOTP autofill. Every
// form works without it; the server enforces the same limits.
(function () {
  'use strict';
  var start = Date.now();

  // left returns the seconds an element's data-seconds has left now. The
  // server sends seconds, not a time, so a wrong clock on the device does
  // not matter.
  function left(el) {
    return Math.max(0, Number(el.dataset.seconds) - Math.floor((Date.now() - start) / 1000));
  }
  function clock(s) {
    var m = Math.floor(s / 60), r = s % 60;
    return m + ':' + (r < 10 ? '0' : '') + r;
  }
  // wait matches the server's wording: "25s", then whole minutes.
  function wait(s) {
    if (s < 60) { return s + 's'; }
    var m = Math.ceil(s / 60);
    return m === 1 ? '1 minute' : m + ' minutes';
  }

  var expires = document.getElementById('expires');
  var cooldown = document.getElementById('resend-wait');
  var buttons = document.querySelectorAll('[data-cooldown]');

  function tick() {
    var busy = false;
    if (expires) {
      var e = left(expires);
      expires.textContent = clock(e);
      if (e === 0) {
        document.getElementById('expiry').hidden = true;
        document.getElementById('expired-note').hidden = false;
      } else {
        busy = true;
      }
    }
    if (cooldown) {
      var c = left(cooldown);
      buttons.forEach(function (b) { b.disabled = c > 0; });
      cooldown.hidden = c === 0;
      cooldown.querySelector('span').textContent = wait(c);
      busy = busy || c > 0;
    }
    return busy;
  }
  if (tick()) {
    var timer = setInterval(function () { if (!tick()) { clearInterval(timer); } }, 1000);
  }

  // WebOTP: browsers that support it read the code from an SMS whose last
  // line is "@host #code" (the -webotp flag) and fill it in.
  var form = document.getElementById('verify-form');
  var input = document.getElementById('code');
  if (form && input && 'OTPCredential' in window) {
    var ac = new AbortController();
    form.addEventListener('submit', function () { ac.abort(); });
    navigator.credentials.get({ otp: { transport: ['sms'] }, signal: ac.signal })
      .then(function (otp) {
        if (otp && otp.code) { input.value = otp.code; form.submit(); }
      })
      .catch(function () {});
  }
})();
