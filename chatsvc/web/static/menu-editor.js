// The bot menu editor (/admin/menu): add, move and delete buttons in the page, without a round trip.
// The form works without this script (the server applies the same buttons and shows the form again); here
// they act at once. Saving is the form's ordinary submit: every item's fields, in the order shown.
"use strict";

(function () {
  var editor = document.getElementById("menu-editor");
  var template = document.getElementById("menu-item-template");
  if (!editor || !template) return;
  var maxDepth = Number(editor.getAttribute("data-max-depth")) || 3;
  var perLevel = Number(editor.getAttribute("data-per-level")) || 12;
  var root = document.getElementById("menu-root");
  var preview = document.getElementById("menu-preview");
  var dirty = false;

  function newId() {
    // 128 random bits, URL-safe: the same shape as the server's ids.
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    var text = "";
    for (var i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return window.btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function ownNodes(list) {
    return Array.prototype.filter.call(list.children, function (el) { return el.classList.contains("menu-node"); });
  }

  function ownPart(node, selector) {
    // The element of this node itself, not of a node nested under it.
    var found = node.querySelectorAll(selector);
    for (var i = 0; i < found.length; i++) {
      if (found[i].closest(".menu-node") === node) return found[i];
    }
    return null;
  }

  function refresh() {
    // Numbers (1, 1.2, 1.2.3), whether each "add" button may add more, and the visitors' preview.
    (function number(list, prefix) {
      ownNodes(list).forEach(function (node, index) {
        var label = prefix + (index + 1);
        var badge = ownPart(node, ".menu-number");
        if (badge) badge.textContent = label;
        var children = ownPart(node, ".menu-children");
        if (children) number(children, label + ".");
      });
    })(root, "");
    editor.querySelectorAll(".menu-children").forEach(function (list) {
      var add = Array.prototype.find.call(list.children, function (el) { return el.classList.contains("menu-add"); });
      var button = add && add.querySelector("button");
      if (button) button.disabled = ownNodes(list).length >= perLevel;
    });
    if (preview) {
      preview.textContent = "";
      var roots = ownNodes(root);
      roots.forEach(function (node) {
        var chip = document.createElement("span");
        chip.className = "widget-choice";
        var input = ownPart(node, "input[name=label]");
        chip.textContent = (input && input.value.trim()) || editor.getAttribute("data-new-item");
        preview.appendChild(chip);
      });
      if (!roots.length) {
        var empty = document.createElement("span");
        empty.className = "muted small";
        empty.textContent = preview.getAttribute("data-empty");
        preview.appendChild(empty);
      }
    }
  }

  function add(parentId, list) {
    var parentNode = list.closest(".menu-node");
    var depth = parentNode ? Number(parentNode.getAttribute("data-depth")) + 1 : 1;
    var fragment = template.content.cloneNode(true);
    var node = fragment.querySelector(".menu-node");
    var id = newId();
    node.setAttribute("data-id", id);
    node.setAttribute("data-depth", String(depth));
    node.querySelector("fieldset").id = "item-" + id;
    node.querySelector("input[name=id]").value = id;
    node.querySelector("input[name=parent]").value = parentId;
    node.querySelectorAll("button[data-op]").forEach(function (button) {
      button.value = button.getAttribute("data-op") + ":" + id;
    });
    if (depth >= maxDepth) {
      // Too deep to hold a sub-menu: neither the choice nor the list of children.
      var children = node.querySelector(".menu-children");
      if (children) children.remove();
      var option = node.querySelector("select[name=action] option[value=menu]");
      if (option) option.remove();
    }
    var addItem = Array.prototype.find.call(list.children, function (el) { return el.classList.contains("menu-add"); });
    list.insertBefore(fragment, addItem || null);
    node.querySelector("input[name=label]").focus();
  }

  editor.addEventListener("click", function (event) {
    var button = event.target.closest("button[name=op]");
    if (!button || !editor.contains(button)) return;
    event.preventDefault();
    var value = button.value;
    var verb = value.slice(0, value.indexOf(":"));
    var target = value.slice(value.indexOf(":") + 1);
    var list = button.closest(".menu-children");
    var node = target ? editor.querySelector('.menu-node[data-id="' + CSS.escape(target) + '"]') : null;
    if (verb === "add") {
      if (ownNodes(list).length >= perLevel) return;
      add(target, list);
    } else if (verb === "delete" && node) {
      var hasChildren = node.querySelector(".menu-node") !== null;
      if (hasChildren && !window.confirm(editor.getAttribute("data-confirm-delete"))) return;
      node.remove();
    } else if ((verb === "up" || verb === "down") && node) {
      var siblings = ownNodes(node.parentElement);
      var index = siblings.indexOf(node);
      if (verb === "up" && index > 0) node.parentElement.insertBefore(node, siblings[index - 1]);
      if (verb === "down" && index < siblings.length - 1) node.parentElement.insertBefore(siblings[index + 1], node);
      button.focus();
    } else {
      return;
    }
    dirty = true;
    refresh();
  });

  editor.addEventListener("input", function (event) {
    dirty = true;
    var input = event.target;
    if (input.name === "label") {
      var node = input.closest(".menu-node");
      var title = node && ownPart(node, ".menu-item-title");
      if (title) title.textContent = input.value.trim() || editor.getAttribute("data-new-item");
      refresh();
    }
  });
  editor.addEventListener("change", function () { dirty = true; });
  editor.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (event) {
    if (!dirty) return;
    event.preventDefault();
    event.returnValue = "";
  });

  refresh();
})();
