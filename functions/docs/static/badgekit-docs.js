/*
 * The BadgeKit API reference page (GET /docs): Swagger UI showing the API's own document
 * (GET /openapi.json), with every "Try it out" request signed in this browser as the API's
 * authentication rules require (docs/api/, "Authentication"):
 *
 *   Authorization: JWT token="<HS256 JWS>"   claims: key, method, path (with the query string),
 *   exp (seconds; short-lived), jti (single-use), and on methods other than GET, DELETE and HEAD
 *   body: {alg: "sha256", hash: <lowercase hex SHA-256 of the exact bytes sent>}.
 *
 * The key and secret stay in this page: in memory, or in this tab's sessionStorage when asked.
 * They are never sent anywhere; only the signature made with them is. WebCrypto does the HMAC
 * and the hash (it needs a secure context: https, or http on localhost).
 */
(function () {
  "use strict";

  var STORAGE_KEY = "badgekit-docs-credentials";
  var TOKEN_LIFETIME_S = 120; // well under any deployment's TOKEN_MAX_LIFETIME
  var BODYLESS = ["GET", "DELETE", "HEAD"];
  var encoder = new TextEncoder();

  // The API's base URL: this script is <base>/docs/badgekit-docs.js (at the origin's root, or
  // under a stage prefix such as /Prod). Requests are signed for the path after the base.
  var scriptUrl = new URL(document.currentScript.src, window.location.href);
  var apiBase = new URL("..", scriptUrl);
  var documentUrl = new URL("openapi.json", apiBase);

  var credentials = null; // {key, secret}

  function element(id) {
    return document.getElementById(id);
  }

  function showStatus(text, signing) {
    var status = element("signing-status");
    status.textContent = text;
    status.className = signing ? "signing-on" : "signing-off";
  }

  function base64url(bytes) {
    var view = new Uint8Array(bytes);
    var text = "";
    for (var i = 0; i < view.length; i++) {
      text += String.fromCharCode(view[i]);
    }
    return window.btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function hex(bytes) {
    return Array.prototype.map
      .call(new Uint8Array(bytes), function (b) {
        return b.toString(16).padStart(2, "0");
      })
      .join("");
  }

  function randomId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return hex(bytes);
  }

  function setHeader(request, name, value) {
    request.headers = request.headers || {};
    Object.keys(request.headers).forEach(function (existing) {
      if (existing.toLowerCase() === name.toLowerCase()) {
        delete request.headers[existing];
      }
    });
    request.headers[name] = value;
  }

  // The exact bytes the browser will send. A FormData (multipart), URLSearchParams or Blob body
  // is serialised here, once, and sent as those bytes: a Blob typed with the Content-Type (and
  // multipart boundary) that goes with them, which the browser sends as the Content-Type
  // (Swagger UI drops a multipart Content-Type header after this, for the browser to set).
  async function bodyBytes(request) {
    var body = request.body;
    if (body === undefined || body === null || body === "") {
      return new Uint8Array(0);
    }
    if (typeof body === "string") {
      return encoder.encode(body);
    }
    var serialised = new Response(body);
    var type = serialised.headers.get("content-type") || "";
    var bytes = new Uint8Array(await serialised.arrayBuffer());
    var boundary = /;\s*boundary=([^;]+)/i.exec(type);
    if (boundary) {
      // A Blob's type is lowercased: the boundary in the body must be too.
      lowercaseAll(bytes, boundary[1]);
      type = type.toLowerCase();
    }
    request.body = new Blob([bytes], { type: type });
    if (type) {
      setHeader(request, "Content-Type", type);
    }
    return bytes;
  }

  // Replace every occurrence of the ASCII `text` in `bytes` by its lowercase (same length).
  function lowercaseAll(bytes, text) {
    var find = encoder.encode(text);
    var lower = encoder.encode(text.toLowerCase());
    for (var i = 0; i + find.length <= bytes.length; i++) {
      var j = 0;
      while (j < find.length && bytes[i + j] === find[j]) {
        j++;
      }
      if (j === find.length) {
        bytes.set(lower, i);
        i += find.length - 1;
      }
    }
  }

  async function hmacSha256(secret, text) {
    var key = await window.crypto.subtle.importKey(
      "raw",
      encoder.encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"]
    );
    return window.crypto.subtle.sign("HMAC", key, encoder.encode(text));
  }

  async function token(claims, secret) {
    var header = base64url(encoder.encode(JSON.stringify({ alg: "HS256", typ: "JWT" })));
    var payload = base64url(encoder.encode(JSON.stringify(claims)));
    var signature = await hmacSha256(secret, header + "." + payload);
    return header + "." + payload + "." + base64url(signature);
  }

  // Swagger UI's requestInterceptor: sign requests to this API, leave any other untouched.
  async function signRequest(request) {
    if (!credentials) {
      return request;
    }
    var url = new URL(request.url, window.location.href);
    if (url.origin !== apiBase.origin || url.pathname.indexOf(apiBase.pathname) !== 0) {
      return request;
    }
    var method = (request.method || "GET").toUpperCase();
    var claims = {
      key: credentials.key,
      method: method,
      path: "/" + url.pathname.slice(apiBase.pathname.length) + url.search,
      exp: Math.floor(Date.now() / 1000) + TOKEN_LIFETIME_S,
      jti: randomId(),
    };
    if (BODYLESS.indexOf(method) < 0) {
      var bytes = await bodyBytes(request);
      claims.body = { alg: "sha256", hash: hex(await window.crypto.subtle.digest("SHA-256", bytes)) };
    }
    setHeader(request, "Authorization", 'JWT token="' + (await token(claims, credentials.secret)) + '"');
    return request;
  }

  function useCredentials(key, secret, remember) {
    credentials = { key: key, secret: secret };
    if (remember) {
      window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(credentials));
    } else {
      window.sessionStorage.removeItem(STORAGE_KEY);
    }
    showStatus("Signing every request as \u201c" + key + "\u201d.", true);
  }

  function forget() {
    credentials = null;
    window.sessionStorage.removeItem(STORAGE_KEY);
    element("signing-secret").value = "";
    element("signing-remember").checked = false;
    showStatus("Not signing: enter a key and its secret.", false);
  }

  function setUpForm() {
    if (!window.crypto || !window.crypto.subtle) {
      element("signing-apply").disabled = true;
      showStatus("Signing needs a secure context: open this page over https (or on localhost).", false);
      return;
    }
    element("signing").addEventListener("submit", function (event) {
      event.preventDefault();
      var key = element("signing-key").value.trim();
      var secret = element("signing-secret").value;
      if (!key || !secret) {
        forget();
        return;
      }
      useCredentials(key, secret, element("signing-remember").checked);
    });
    element("signing-forget").addEventListener("click", forget);
    var saved = null;
    try {
      saved = JSON.parse(window.sessionStorage.getItem(STORAGE_KEY) || "null");
    } catch (error) {
      saved = null;
    }
    if (saved && typeof saved.key === "string" && typeof saved.secret === "string") {
      element("signing-key").value = saved.key;
      element("signing-secret").value = saved.secret;
      element("signing-remember").checked = true;
      useCredentials(saved.key, saved.secret, true);
    }
  }

  function showError(message) {
    var box = document.createElement("p");
    box.className = "docs-error";
    box.textContent = message;
    element("swagger-ui").appendChild(box);
  }

  // Swagger UI (5.3x) renders a list of 150 or more tags and operations virtually: only the
  // entries scrolled into view are in the page, so the browser's find (Ctrl+F) and anything
  // reading the page see a handful of this API's operations. This plugin replaces its
  // `operations` component by one that renders every tag with all its operations (collapsed
  // until opened, as before), the way Swagger UI renders a shorter list.
  function everyOperationPlugin(system) {
    var h = system.React.createElement;
    function Operations(props) {
      var tagged = props.specSelectors.taggedOperations();
      var methods = props.specSelectors.validOperationMethods();
      var OperationContainer = props.getComponent("OperationContainer", true);
      var OperationTag = props.getComponent("OperationTag");
      if (tagged.size === 0) {
        return h("h3", null, " No operations defined in spec!");
      }
      return h(
        "div",
        null,
        tagged
          .map(function (tagObj, tag) {
            var operations = tagObj
              .get("operations")
              .filter(function (op) {
                return methods.indexOf(op.get("method")) >= 0;
              })
              .map(function (op) {
                return h(OperationContainer, {
                  key: op.get("path") + "-" + op.get("method"),
                  specPath: op.get("specPath"),
                  op: op,
                  path: op.get("path"),
                  method: op.get("method"),
                  tag: tag,
                });
              })
              .toArray();
            return h(
              OperationTag,
              {
                key: "operation-" + tag,
                tagObj: tagObj,
                tag: tag,
                oas3Selectors: props.oas3Selectors,
                layoutSelectors: props.layoutSelectors,
                layoutActions: props.layoutActions,
                getConfigs: props.getConfigs,
                getComponent: props.getComponent,
                specUrl: props.specSelectors.url(),
              },
              h("div", { className: "operation-tag-content" }, operations)
            );
          })
          .valueSeq()
          .toArray()
      );
    }
    return { components: { operations: Operations } };
  }

  function startSwaggerUi() {
    window
      .fetch(documentUrl.href, { headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(documentUrl.pathname + " answered " + response.status);
        }
        return response.json();
      })
      .then(function (spec) {
        // "Try it out" calls this API, where this page is served (any stage prefix included).
        spec.servers = [{ url: apiBase.href.replace(/\/$/, ""), description: "This API" }];
        window.ui = window.SwaggerUIBundle({
          spec: spec,
          dom_id: "#swagger-ui",
          deepLinking: true,
          presets: [window.SwaggerUIBundle.presets.apis],
          plugins: [everyOperationPlugin],
          layout: "BaseLayout",
          validatorUrl: "none",
          displayRequestDuration: true,
          requestInterceptor: signRequest,
        });
      })
      .catch(function (error) {
        showError("Could not load the API document: " + error.message);
      });
  }

  // For scripts of this page and its browser test: sign a request as "Try it out" does.
  window.badgekitDocs = { signRequest: signRequest };

  setUpForm();
  startSwaggerUi();
})();
