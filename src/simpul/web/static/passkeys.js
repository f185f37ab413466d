// Passkeys (WebAuthn): adding one on the security page and using one at the login's second
// step. Markup: <section data-passkey-register data-options data-action data-csrf data-failed>
// with <form data-passkey-form hidden>, or <div data-passkey-login ...> with
// <button data-passkey-button hidden> (the login's second step, or the login page, where the
// whole box stays hidden without WebAuthn). Without this file (or without WebAuthn in the
// browser) the [data-passkey-unsupported] note stays and nothing else is offered.
(function () {
  "use strict";

  function toBytes(value) {
    var text = String(value).replace(/-/g, "+").replace(/_/g, "/");
    while (text.length % 4) text += "=";
    var raw = atob(text);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withIds(list) {
    return (list || []).map(function (c) {
      return { type: c.type, id: toBytes(c.id), transports: c.transports };
    });
  }

  function creationOptions(o) {
    if (PublicKeyCredential.parseCreationOptionsFromJSON) {
      return PublicKeyCredential.parseCreationOptionsFromJSON(o);
    }
    var copy = Object.assign({}, o);
    copy.challenge = toBytes(o.challenge);
    copy.user = Object.assign({}, o.user, { id: toBytes(o.user.id) });
    copy.excludeCredentials = withIds(o.excludeCredentials);
    return copy;
  }

  function requestOptions(o) {
    if (PublicKeyCredential.parseRequestOptionsFromJSON) {
      return PublicKeyCredential.parseRequestOptionsFromJSON(o);
    }
    var copy = Object.assign({}, o);
    copy.challenge = toBytes(o.challenge);
    copy.allowCredentials = withIds(o.allowCredentials);
    return copy;
  }

  function asJSON(credential) {
    if (typeof credential.toJSON === "function") return credential.toJSON();
    var r = credential.response;
    var response = { clientDataJSON: toText(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toText(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = toText(r.authenticatorData);
      response.signature = toText(r.signature);
      if (r.userHandle) response.userHandle = toText(r.userHandle);
    }
    return {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: response,
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
    };
  }

  function post(box, url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": box.getAttribute("data-csrf") },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) throw new Error(data.error || "");
        return data;
      });
    });
  }

  function showError(box, error) {
    var el = box.querySelector("[data-passkey-error]");
    if (!el) return;
    var message = error && error.message && error.name === "Error" ? error.message : "";
    el.textContent = message || box.getAttribute("data-failed");
    el.hidden = false;
  }

  function clearError(box) {
    var el = box.querySelector("[data-passkey-error]");
    if (el) el.hidden = true;
  }

  function supported(box) {
    if (!window.PublicKeyCredential || !navigator.credentials || !window.fetch) return false;
    var note = box.querySelector("[data-passkey-unsupported]");
    if (note) note.hidden = true;
    return true;
  }

  function setUpRegister(box) {
    var form = box.querySelector("[data-passkey-form]");
    if (!form || !supported(box)) return;
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearError(box);
      var name = form.querySelector("input").value;
      var button = form.querySelector("button");
      button.disabled = true;
      post(box, box.getAttribute("data-options"), { name: name })
        .then(function (options) {
          return navigator.credentials.create({ publicKey: creationOptions(options) });
        })
        .then(function (credential) {
          return post(box, box.getAttribute("data-action"), { name: name, credential: asJSON(credential) });
        })
        .then(function (data) { window.location.assign(data.redirect); })
        .catch(function (error) { button.disabled = false; showError(box, error); });
    });
  }

  function setUpLogin(box) {
    var button = box.querySelector("[data-passkey-button]");
    if (!button || !supported(box)) return;
    box.hidden = false;
    button.hidden = false;
    button.addEventListener("click", function () {
      clearError(box);
      button.disabled = true;
      post(box, box.getAttribute("data-options"), {})
        .then(function (options) {
          return navigator.credentials.get({ publicKey: requestOptions(options) });
        })
        .then(function (credential) {
          return post(box, box.getAttribute("data-action"), asJSON(credential));
        })
        .then(function (data) { window.location.assign(data.redirect); })
        .catch(function (error) { button.disabled = false; showError(box, error); });
    });
  }

  function start() {
    document.querySelectorAll("[data-passkey-register]").forEach(setUpRegister);
    document.querySelectorAll("[data-passkey-login]").forEach(setUpLogin);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
