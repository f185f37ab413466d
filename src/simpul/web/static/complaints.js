// Complaint maps and the photo count (the form works without this file: plain inputs).
// Markup: <div class="peta" data-peta data-tiles data-attribution data-center
//   [data-lat data-lng] [data-readonly] [data-points] [data-lat-input data-lng-input]>.
(function () {
  "use strict";

  var script = document.currentScript;
  var imagePath = script ? script.getAttribute("data-leaflet-images") : null;

  function number(value) {
    var n = parseFloat(String(value || "").replace(",", "."));
    return isFinite(n) ? n : null;
  }

  function centerOf(el) {
    var parts = (el.getAttribute("data-center") || "0,0").split(",");
    return [number(parts[0]) || 0, number(parts[1]) || 0];
  }

  function link(feature) {
    var p = feature.properties || {};
    var wrap = document.createElement("div");
    var a = document.createElement("a");
    a.href = p.url;
    a.textContent = p.title;
    wrap.appendChild(a);
    var meta = document.createElement("p");
    meta.textContent = [p.number, p.category, p.status].join(" · ");
    wrap.appendChild(meta);
    return wrap;
  }

  function setUp(el) {
    if (!window.L || !el.getAttribute("data-tiles")) return;
    var L = window.L;
    if (imagePath) L.Icon.Default.imagePath = imagePath;
    var lat = number(el.getAttribute("data-lat"));
    var lng = number(el.getAttribute("data-lng"));
    var point = lat !== null && lng !== null ? [lat, lng] : null;
    var map = L.map(el).setView(point || centerOf(el), point ? 16 : 13);
    L.tileLayer(el.getAttribute("data-tiles"), {
      attribution: el.getAttribute("data-attribution") || "",
      maxZoom: 19,
    }).addTo(map);
    var marker = point ? L.marker(point).addTo(map) : null;

    var latInput = document.getElementById(el.getAttribute("data-lat-input") || "");
    var lngInput = document.getElementById(el.getAttribute("data-lng-input") || "");
    if (!el.hasAttribute("data-readonly") && latInput && lngInput) {
      var place = function (latlng) {
        if (marker) marker.setLatLng(latlng);
        else marker = L.marker(latlng).addTo(map);
        latInput.value = latlng.lat.toFixed(6);
        lngInput.value = latlng.lng.toFixed(6);
      };
      map.on("click", function (e) { place(e.latlng); });
      var mine = document.querySelector("[data-lokasi-saya]");
      if (mine && navigator.geolocation) {
        mine.hidden = false;
        mine.addEventListener("click", function () {
          navigator.geolocation.getCurrentPosition(function (pos) {
            var here = L.latLng(pos.coords.latitude, pos.coords.longitude);
            place(here);
            map.setView(here, 17);
          });
        });
      }
      var typed = function () {
        var a = number(latInput.value), b = number(lngInput.value);
        if (a !== null && b !== null && Math.abs(a) <= 90 && Math.abs(b) <= 180) {
          var at = L.latLng(a, b);
          if (marker) marker.setLatLng(at); else marker = L.marker(at).addTo(map);
          map.setView(at);
        }
      };
      latInput.addEventListener("change", typed);
      lngInput.addEventListener("change", typed);
    }

    var points = el.getAttribute("data-points");
    if (points) {
      fetch(points, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data || !data.features || !data.features.length) return;
          var layer = L.geoJSON(data, {
            onEachFeature: function (feature, m) { m.bindPopup(link(feature)); },
          }).addTo(map);
          map.fitBounds(layer.getBounds(), { maxZoom: 16, padding: [20, 20] });
        });
    }
  }

  function photoCount(input) {
    var max = parseInt(input.getAttribute("data-max-files") || "5", 10);
    var out = document.getElementById("f-foto-count");
    input.addEventListener("change", function () {
      var n = input.files ? input.files.length : 0;
      if (n > max) {
        input.setCustomValidity(input.getAttribute("data-too-many") || "");
        input.reportValidity();
        input.value = "";
        n = 0;
      } else {
        input.setCustomValidity("");
      }
      if (out) out.textContent = n ? n + " / " + max : "";
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-peta]"), setUp);
    Array.prototype.forEach.call(document.querySelectorAll("input[data-max-files]"), photoCount);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
