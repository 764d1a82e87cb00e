// The classicx search page: plain JavaScript, no build step, nothing loaded from elsewhere.
// Every text from the server is put in the page with textContent, never as HTML.
"use strict";

const K = 12;
const $ = (id) => document.getElementById(id);

function fmt(x, digits = 3) {
  return typeof x === "number" ? x.toFixed(digits) : "–";
}

function labelText(hit) {
  if (hit.label_name !== null && hit.label_name !== undefined) {
    return Array.isArray(hit.label_name) ? hit.label_name.join(", ") : hit.label_name;
  }
  if (hit.label !== null && hit.label !== undefined) {
    return "label " + (Array.isArray(hit.label) ? hit.label.join(", ") : hit.label);
  }
  return "no label";
}

async function api(path, options) {
  const response = await fetch(path, options);
  let body = null;
  try {
    body = await response.json();
  } catch (e) {
    body = null;
  }
  if (!response.ok) {
    const message = body && body.detail ? body.detail : response.status + " " + response.statusText;
    throw new Error(message);
  }
  return body;
}

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = !message;
}

function setStatus(message) {
  $("status").textContent = message;
}

function clearResults() {
  for (const id of ["image-results", "text-results"]) {
    const list = $(id);
    list.replaceChildren();
    list.hidden = true;
  }
}

function renderImages(hits) {
  const list = $("image-results");
  for (const hit of hits) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "hit";
    button.dataset.id = hit.id;
    button.title = "Find texts matching this image";
    button.setAttribute("aria-label",
      `Result ${hit.rank}: ${labelText(hit)}, score ${fmt(hit.score)}. Find texts matching this image.`);
    if (hit.thumbnail_url) {
      const img = document.createElement("img");
      img.src = hit.thumbnail_url;
      img.alt = hit.description || "gallery image " + hit.id;
      button.append(img);
    } else {
      const none = document.createElement("span");
      none.className = "noimage";
      none.textContent = hit.description || "image " + hit.id;
      button.append(none);
    }
    const meta = document.createElement("span");
    meta.className = "meta";
    const label = document.createElement("strong");
    label.textContent = labelText(hit);
    meta.append(label, `#${hit.rank} · score ${fmt(hit.score)}`);
    button.append(meta);
    button.addEventListener("click", () => searchGalleryImage(hit.id, labelText(hit)));
    item.append(button);
    list.append(item);
  }
  list.hidden = hits.length === 0;
}

function renderTexts(hits) {
  const list = $("text-results");
  for (const hit of hits) {
    const item = document.createElement("li");
    item.className = "text-hit";
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = `${labelText(hit)} · score ${fmt(hit.score)} · id ${hit.id}`;
    const text = document.createElement("p");
    text.textContent = hit.text;
    item.append(meta, text);
    list.append(item);
  }
  list.hidden = hits.length === 0;
}

async function run(what, request) {
  showError("");
  setStatus(what + "…");
  try {
    const result = await request();
    clearResults();
    if (result.target === "images") {
      renderImages(result.hits);
    } else {
      renderTexts(result.hits);
    }
    setStatus(`${what}: ${result.hits.length} ${result.target}.`);
  } catch (error) {
    setStatus("");
    showError(error.message);
  }
}

function searchText(text) {
  return run(`Images for “${text}”`, () => api("/api/search/text", {
    method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({text: text, k: K}),
  }));
}

function searchGalleryImage(id, label) {
  $("fused-image-id").value = id;
  return run(`Texts for gallery image ${id} (${label})`, () => api("/api/search/gallery-image", {
    method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({id: id, k: K}),
  }));
}

function searchUpload(file) {
  const form = new FormData();
  form.append("file", file);
  form.append("k", String(K));
  return run(`Texts for ${file.name}`, () => api("/api/search/image", {method: "POST", body: form}));
}

function searchFused() {
  const form = new FormData();
  const text = $("fused-text").value.trim();
  const file = $("fused-file").files[0];
  const imageId = $("fused-image-id").value.trim();
  if (text) form.append("text", text);
  if (file) form.append("file", file);
  else if (imageId) form.append("image_id", imageId);
  form.append("weight", $("fused-weight").value);
  form.append("target", $("fused-target").value);
  form.append("k", String(K));
  return run("Fused query", () => api("/api/search/fused", {method: "POST", body: form}));
}

function describeModel(info) {
  const parts = [`${info.n_images.toLocaleString()} images and ${info.n_texts.toLocaleString()} texts in the gallery`];
  const report = info.report;
  if (report && typeof report.map_text_to_image === "number") {
    let recorded = `recorded MAP text→image ${fmt(report.map_text_to_image)}, image→text ${fmt(report.map_image_to_text)}`;
    if (typeof report.chance_text_to_image === "number") {
      recorded += ` (chance ${fmt(report.chance_text_to_image)} / ${fmt(report.chance_image_to_text)}`;
      recorded += report.n_queries ? `, ${report.n_queries} test queries)` : ")";
    }
    parts.push(recorded);
  } else {
    parts.push("no MAP recorded with this model");
  }
  parts.push(`chance level on this gallery: MAP ${fmt(info.chance.text_to_image)} text→image, ` +
             `${fmt(info.chance.image_to_text)} image→text (relevant = ${info.chance.relevance})`);
  return parts.join("; ") + ".";
}

function init() {
  api("/api/info").then((info) => {
    $("model-info").textContent = describeModel(info);
  }).catch((error) => {
    $("model-info").textContent = "The model's description could not be loaded: " + error.message;
  });
  $("text-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("text-query").value.trim();
    if (text) searchText(text);
  });
  $("image-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const file = $("image-file").files[0];
    if (file) searchUpload(file);
  });
  $("fused-form").addEventListener("submit", (event) => {
    event.preventDefault();
    searchFused();
  });
  const weight = $("fused-weight");
  const shown = $("fused-weight-value");
  weight.addEventListener("input", () => {
    shown.textContent = Number(weight.value).toFixed(2);
  });
}

document.addEventListener("DOMContentLoaded", init);
