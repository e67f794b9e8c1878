// 认定发证: offer only the levels the chosen certificate kind may carry, up to the
// level the organisation is filed for in the chosen occupation. The server applies the
// same rule (certificates.services.evaluation_refusal); this only saves a round trip.
(function () {
  "use strict";
  var rulesNode = document.getElementById("evaluation-level-rules");
  var form = document.getElementById("evaluation-form");
  if (!rulesNode || !form) {
    return;
  }
  var rules = JSON.parse(rulesNode.textContent);
  var kind = form.elements.kind;
  var level = form.elements.level;
  var organisation = form.elements.organisation;
  var occupation = form.elements.occupation;
  if (!kind || !level) {
    return;
  }

  function option(value, text) {
    var node = document.createElement("option");
    node.value = value;
    node.textContent = text;
    return node;
  }

  function update() {
    var chosen = level.value;
    var allowed = rules.kinds[kind.value] || [];
    var top = null;
    if (organisation && occupation && occupation.value) {
      top = rules.filings[organisation.value + ":" + occupation.value] || null;
    }
    var levels = allowed.filter(function (value) {
      return top === null || rules.rank[value] <= rules.rank[top];
    });
    while (level.firstChild) {
      level.removeChild(level.firstChild);
    }
    if (!allowed.length) {
      level.appendChild(option("", rules.no_level));
      level.disabled = true;
      return;
    }
    level.disabled = false;
    level.appendChild(option("", rules.choose));
    levels.forEach(function (value) {
      level.appendChild(option(value, rules.labels[value]));
    });
    level.value = levels.indexOf(chosen) >= 0 ? chosen : "";
  }

  [kind, organisation, occupation].forEach(function (node) {
    if (node) {
      node.addEventListener("change", update);
    }
  });
  update();
})();
