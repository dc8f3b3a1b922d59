// Feedback form: show a follow-up question only when it applies (without JavaScript
// every follow-up is shown with a hint saying to whom it is addressed; the server drops
// answers to follow-ups that did not apply).
const form = document.querySelector("form[action='/feedback']");

if (form) {
  const follow = {
    why_not_video: (recommend, next) => recommend === "yes" && next === "no",
    why_not_recommend: (recommend, next) => recommend === "no" && next === "yes",
  };
  const value = (name) => form.querySelector(`input[name="${name}"]:checked`)?.value ?? "";

  function update() {
    for (const [name, applies] of Object.entries(follow)) {
      const fieldset = document.getElementById(`q-${name}`);
      if (fieldset) fieldset.hidden = !applies(value("recommend"), value("next_by_video"));
    }
  }

  form.addEventListener("change", update);
  update();
}
