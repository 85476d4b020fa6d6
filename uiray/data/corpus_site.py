"""Corpus apps that are parts of a website: validated sign-up/contact/booking forms, modal dialogs,
pricing tables with a billing toggle.

Repeated actions keep changing the page, as the interaction probe expects of a live control: a second
failed submit is worded differently from the first, and a click on the backdrop closes a dialog.
"""

from __future__ import annotations

import random

from uiray.data.corpus_kit import App, Copy, count, does, esc, fill, js_value, make_app, pick, present, says

_FIELDS = {
    "name": (["Full name", "Your name", "Name"], "text", "Ada Lovelace", "min", 2,
             ["Please enter your name.", "Tell us your name (2+ letters)."], "Grace Hopper"),
    "email": (["Email", "Email address", "Work email"], "email", "you@example.com", "pattern",
              r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", ["Enter a valid email address.", "That email looks wrong."],
              "grace@example.com"),
    "password": (["Password", "Choose a password"], "password", "8+ characters, one digit", "pattern",
                 r"^(?=.*\d).{8,}$", ["Use 8+ characters including a digit.", "Password too weak."], "harbor42x"),
    "phone": (["Phone", "Phone number", "Mobile"], "tel", "555 123 4567", "pattern", r"^[\d ()+-]{7,}$",
              ["Enter a phone number (digits only).", "Phone number is too short."], "555 201 7788"),
    "age": (["Age", "Your age"], "text", "e.g. 34", "range", [13, 120],
            ["Age must be a number from 13 to 120.", "Enter an age between 13 and 120."], "34"),
    "zip": (["ZIP code", "Postal code"], "text", "5 digits", "pattern", r"^\d{5}$",
            ["ZIP codes have 5 digits.", "Enter a 5-digit postal code."], "90210"),
    "website": (["Website", "Portfolio URL"], "url", "https://…", "pattern", r"^https?://\S+\.\S+$",
                ["Start the address with http:// or https://", "That URL is not valid."], "https://grace.dev"),
    "company": (["Company", "Organisation", "Team name"], "text", "Acme Inc.", "min", 2,
                ["Company name is required.", "Please add your organisation."], "Nimbus Labs"),
    "message": (["Message", "How can we help?", "Comments"], "textarea", "Write a few words…", "min", 10,
                ["Write at least 10 characters.", "Your message is a bit short."], "Hello, I would like a demo."),
}  # fmt: skip
_FORMS = {
    "signup": (["Create your account", "Sign up", "Join the beta", "Register"], ["name", "email", "password"],
               ["age", "website", "company"], ["Create account", "Sign up", "Join now"],
               "Welcome aboard! Your account is ready."),
    "contact": (["Contact us", "Get in touch", "Send us a note"], ["name", "email", "message"],
                ["phone", "company"], ["Send message", "Send", "Submit"], "Thanks! We will reply within a day."),
    "booking": (["Book a table", "Reserve a session", "Book an appointment"], ["name", "phone"],
                ["email", "message", "zip"], ["Book now", "Reserve", "Confirm booking"],
                "Booked! A confirmation is on its way."),
    "shipping": (["Shipping details", "Delivery address", "Where should we ship?"], ["name", "zip", "phone"],
                 ["email", "company"], ["Save address", "Continue", "Use this address"], "Address saved."),
}  # fmt: skip
_SELECTS = [
    ("topic", "Topic", ["General question", "Billing", "Technical support", "Partnerships"]),
    ("plan", "Plan", ["Starter", "Team", "Business", "Enterprise"]),
    ("guests", "Guests", ["1 person", "2 people", "3 people", "4 people", "5+ people"]),
    ("source", "How did you hear about us?", ["Search engine", "A friend", "Social media", "Podcast"]),
]
_AGREE = ["I agree to the terms", "Keep me posted about updates", "Remember me on this device"]
_FORM = Copy(
    titles=["{title}"],
    nouns=["a {kind} form", "a {kind} form with validation", "an HTML {kind} form"],
    features=["inline error messages", "client-side validation", "a {select} selector",
              "a success message after submitting"],
    taglines=["It only takes a minute.", "All fields marked are required.", "We never share your details."],
    tips=["Errors appear under each field.", "Press Enter to submit from any field.",
          "{checks} checks run before sending."],
)  # fmt: skip
_FORM_HTML = """<form id="form" class="panel" novalidate>
<div class="fields">
{{fields}}
</div>
<div class="row"><button type="submit" id="submit">{{submit}}</button> <span id="status" role="status"></span></div>
</form>"""
_FORM_CSS = """.fields { display: grid; grid-template-columns: {{cols}}; gap: 12px {{gap}}px; }
.field { display: flex; flex-direction: column; gap: 4px; }
.check { flex-direction: row; }
.error { color: {{bad}}; min-height: 1.2em; }
.invalid { border-color: {{bad}}; outline: 2px solid {{bad}}44; }
#status { font-weight: 600; }"""


def _form_fields(rng: random.Random, ids: list[str]) -> tuple[list[str], list[dict], list[dict]]:
    """(field markup, validation rules, checklist steps that fill every field validly) for `ids`."""
    fields, rules, valid = [], [], []
    for fid in ids:
        labels, itype, placeholder, rule, arg, messages, sample = _FIELDS[fid]
        rules.append({"id": fid, "kind": rule, "arg": arg, "msg": pick(rng, messages)})
        if itype == "textarea":
            control = f'<textarea id="{fid}" rows="3" placeholder="{esc(placeholder)}"></textarea>'
        else:
            control = f'<input id="{fid}" type="{itype}" placeholder="{esc(placeholder)}" autocomplete="off">'
        label = f'<label for="{fid}">{pick(rng, labels)}</label>'
        fields.append(f'{label}\n{control}\n<small class="error" id="{fid}-error"></small>')
        valid.append({"fill": f"#{fid}", "value": sample})
    return fields, rules, valid


def form_app(rng: random.Random, colors: dict) -> App:
    """A form whose fields validate on submit (and as you type), with one error line per field."""
    kind = pick(rng, _FORMS)
    titles, required, optional, submits, success = _FORMS[kind]
    fields, rules, valid = _form_fields(rng, required + pick(rng, optional, rng.randint(1, 2)))
    sid, slabel, options = pick(rng, _SELECTS)
    select = f'<label for="{sid}">{slabel}</label>\n<select id="{sid}">'
    fields.insert(rng.randint(1, len(fields)), select + "".join(f"<option>{o}</option>" for o in options) + "</select>")
    agree = pick(rng, _AGREE)
    fields.append(f'<label class="check"><input type="checkbox" id="agree"> {agree}</label>')
    if "agree" in agree or kind == "signup":
        rules.append({"id": "agree", "kind": "checked", "arg": None, "msg": "Please tick the box to continue."})
        fields.append('<small class="error" id="agree-error"></small>')
        valid.append({"click": "#agree"})
    body = fill(_FORM_HTML, fields="\n".join(f'<div class="field">{f}</div>' for f in fields),
                submit=pick(rng, submits))  # fmt: skip
    css = fill(_FORM_CSS, cols=rng.choice(["1fr", "1fr 1fr"]) if len(fields) > 4 else "1fr", gap=rng.randint(12, 24),
               bad=pick(rng, ["#dc2626", "#e11d48", "#b91c1c"]))  # fmt: skip
    js = fill(_FORM_JS, rules=js_value(rules), success=js_value(success), live=js_value(rng.random() < 0.5))
    first = rules[0]
    checklist = [
        present("Has a form with labelled fields", "form label"),
        present("Shows a submit button", "#submit"),
        does(f'Submitting the empty form shows "{first["msg"]}"', [{"click": "#submit"}], f"#{first['id']}-error",
             first["msg"]),
        does("A correctly filled form is accepted", [*valid, {"click": "#submit"}], "#status", success),
        present(f"Offers a {slabel.lower()} dropdown", f"select#{sid}"),
    ]  # fmt: skip
    return make_app(rng, "form_validation", _FORM, (body, css, js), checklist, title=pick(rng, titles), kind=kind,
                    select=slabel.lower(), checks=len(rules))  # fmt: skip


_FORM_JS = """const form = document.getElementById('form');
const statusLine = document.getElementById('status');
const rules = {{rules}};
const liveCheck = {{live}};

function validate(rule) {
  const el = document.getElementById(rule.id);
  const value = el.type === 'checkbox' ? el.checked : el.value.trim();
  let ok = Boolean(value);
  if (rule.kind === 'min') ok = value.length >= rule.arg;
  if (rule.kind === 'pattern') ok = new RegExp(rule.arg, 'i').test(value);
  if (rule.kind === 'range') ok = /^\\d+$/.test(value) && +value >= rule.arg[0] && +value <= rule.arg[1];
  document.getElementById(rule.id + '-error').textContent = ok ? '' : rule.msg;
  el.classList.toggle('invalid', !ok);
  return ok;
}

form.addEventListener('submit', event => {
  event.preventDefault();
  const failed = rules.filter(rule => !validate(rule)).length;
  // A second failed attempt gets a different wording, so the user sees that the click registered.
  const again = failed && statusLine.textContent.startsWith('Please');
  const fields = failed + (failed > 1 ? ' fields' : ' field');
  const retry = again ? 'Still ' + fields + ' to fix.' : 'Please fix ' + fields + '.';
  statusLine.textContent = failed ? retry : {{success}};
  statusLine.style.color = failed ? '#b91c1c' : '#15803d';
});

rules.forEach(rule => {
  const el = document.getElementById(rule.id);
  el.addEventListener(el.type === 'checkbox' ? 'change' : 'input', () => {
    if (liveCheck || el.classList.contains('invalid')) validate(rule);
  });
});"""


_FILES = ["Q3 report.pdf", "holiday-photos.zip", "Budget 2025.xlsx", "logo-final-v2.svg", "meeting-notes.md",
          "invoice-0042.pdf", "draft-chapter-3.docx", "playlist.m3u", "backup-march.tar", "wireframes.fig"]  # fmt: skip
_OFFERS = ["our weekly newsletter", "product updates", "the early-access list", "event reminders"]
_MODAL = Copy(
    titles=["My Files", "Dialog Demo", "Stay Updated", "Workspace"],
    nouns=["{noun}"],
    features=["Escape to close", "click outside to close", "a confirm and a cancel button", "a pop-in animation"],
    taglines=["A careful dialog.", "Confirm before you commit.", "Modals done right."],
    tips=["Escape closes the dialog.", "Clicking the backdrop cancels.", "Focus moves into the dialog."],
)
_MODAL_HTML = """{{page}}
<p id="status" role="status" class="muted">Nothing happened yet.</p>
<div id="overlay" class="overlay" hidden>
<div class="modal panel" role="dialog" aria-modal="true" aria-labelledby="modal-title">
{{dialog}}
</div></div>"""
_MODAL_CSS = """.overlay { position: fixed; inset: 0; z-index: 50; background: #000{{alpha}}; display: grid;
  place-items: {{place}}; }
.overlay[hidden] { display: none; }
.modal { width: {{width}}; margin: 0; animation: pop .18s ease-out; }
@keyframes pop { from { transform: {{start}}; opacity: 0; } }
.files li { display: flex; justify-content: space-between; padding: 6px 0; border-bottom: 1px solid #8883; }"""
_DELETE_DIALOG = """<h2 id="modal-title">Delete file?</h2><p id="modal-text">This cannot be undone.</p>
<div class="row"><button id="cancel" class="ghost">Cancel</button><button id="confirm">Delete</button></div>"""
_SUBSCRIBE_PAGE = """<section class="panel hero-card"><h2>Stay in the loop</h2>
<p>Get {{offer}} straight to your inbox.</p>
<button class="open-modal" data-name="{{offer}}">Subscribe</button></section>"""
_SUBSCRIBE_DIALOG = """<h2 id="modal-title">Subscribe</h2><label for="modal-email">Email</label>
<input id="modal-email" type="email" placeholder="you@example.com">
<p id="modal-text" class="muted">One email a week, unsubscribe anytime.</p>
<div class="row"><button id="cancel" class="ghost">Not now</button><button id="confirm">Subscribe</button></div>"""


def _delete_variant(rng: random.Random) -> tuple[str, str, list[dict], str]:
    files = pick(rng, _FILES, rng.randint(3, 5))
    rows = "\n".join(f'<li><span class="file">{esc(f)}</span><button class="ghost open-modal" data-name="{esc(f)}">'
                     f"Delete</button></li>" for f in files)  # fmt: skip
    page = f'<section class="panel"><h2>Files</h2><ul id="files" class="files">\n{rows}\n</ul></section>'
    opened = {"click": ".open-modal"}
    checklist = [
        count("Lists the files", "#files li", len(files)),
        does("Confirming deletes the file", [opened, {"click": "#confirm"}], "#status", f"Deleted {files[0]}."),
        does("Cancel keeps it", [opened, {"click": "#cancel"}], "#status", f"Kept {files[0]}."),
        does("The dialog names the file", [opened], "#modal-title", f"Delete {files[0]}?"),
    ]
    noun = pick(rng, ["a file list with a delete confirmation modal", "a confirm-delete dialog"])
    return page, _DELETE_DIALOG, checklist, noun


def _subscribe_variant(rng: random.Random) -> tuple[str, str, list[dict], str]:
    offer = pick(rng, _OFFERS)
    email = f"{pick(rng, ['sam', 'alex', 'kim', 'ria', 'tom'])}@example.com"
    opened = {"click": ".open-modal"}
    checklist = [
        present("Has a subscribe button", ".open-modal"),
        does("Subscribing confirms the address", [opened, {"fill": "#modal-email", "value": email},
             {"click": "#confirm"}], "#status", f"Subscribed {email} to {offer}."),
        does("A bad address is rejected in the dialog", [opened, {"fill": "#modal-email", "value": "nope"},
             {"click": "#confirm"}], "#modal-text", "Please enter a valid email."),
        does("Not now closes the dialog", [opened, {"click": "#cancel"}], "#status", "Maybe later!"),
    ]  # fmt: skip
    noun = pick(rng, ["a newsletter signup modal", "a subscribe popup dialog"])
    return fill(_SUBSCRIBE_PAGE, offer=esc(offer)), _SUBSCRIBE_DIALOG, checklist, noun


def modal_app(rng: random.Random, colors: dict) -> App:
    """A list whose Delete buttons open a confirm dialog, or a Subscribe button opening a form dialog.

    The overlay closes the dialog when clicked, Escape closes it, and the dialog's buttons change the page.
    The confirm dialog is a bottom sheet: the probe clicks every Delete button in turn, and a centred dialog
    would sit over some of them and swallow the clicks that should reach the backdrop.
    """
    variant = pick(rng, ["delete", "subscribe"])
    make = _delete_variant if variant == "delete" else _subscribe_variant
    page, dialog, checklist, noun = make(rng)
    cancel = "Cancel" if variant == "delete" else "Not now"
    checklist.append(does("The button opens a dialog", [{"click": ".open-modal"}], '[role="dialog"]', cancel))
    if variant == "delete":  # a bottom sheet: it leaves the list's other Delete buttons over the backdrop
        look = {"place": "end center", "width": "min(100vw, 640px)", "start": "translateY(8px)"}
    else:
        look = {"place": "center", "width": f"min(90vw, {rng.choice([340, 380, 420])}px)", "start": "scale(.92)"}
    css = fill(_MODAL_CSS, alpha=pick(rng, ["8", "a", "b"]), **look)
    js = fill(_MODAL_JS, variant=js_value(variant))
    return make_app(rng, "modal_dialog", _MODAL, (fill(_MODAL_HTML, page=page, dialog=dialog), css, js), checklist,
                    noun=noun)  # fmt: skip


_MODAL_JS = """const variant = {{variant}};
const overlay = document.getElementById('overlay');
const statusLine = document.getElementById('status');
let target = null;

function openModal(button) {
  target = button;
  if (variant === 'delete') {
    document.getElementById('modal-title').textContent = 'Delete ' + button.dataset.name + '?';
  } else {
    document.getElementById('modal-text').textContent = 'One email a week, unsubscribe anytime.';
  }
  overlay.hidden = false;
  document.getElementById('confirm').focus();
}

function closeModal(message) {
  overlay.hidden = true;
  statusLine.textContent = message;
  if (target) target.focus();
}

function confirmAction() {
  if (variant === 'delete') {
    target.closest('li').remove();
    closeModal('Deleted ' + target.dataset.name + '.');
    return;
  }
  const email = document.getElementById('modal-email').value.trim();
  if (!/^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$/i.test(email)) {
    document.getElementById('modal-text').textContent = 'Please enter a valid email.';
    return;
  }
  closeModal('Subscribed ' + email + ' to ' + target.dataset.name + '.');
}

document.querySelectorAll('.open-modal').forEach(button => button.addEventListener('click', () => openModal(button)));
document.getElementById('confirm').addEventListener('click', confirmAction);
document.getElementById('cancel').addEventListener('click', () => {
  closeModal(variant === 'delete' ? 'Kept ' + target.dataset.name + '.' : 'Maybe later!');
});
overlay.addEventListener('click', event => { if (event.target === overlay) closeModal('Dialog dismissed.'); });
document.addEventListener('keydown', event => {
  if (event.key === 'Escape' && !overlay.hidden) closeModal('Dialog dismissed.');
});"""


_PLANS = [("Starter", "Pro", "Team"), ("Hobby", "Plus", "Business"), ("Free", "Standard", "Premium"),
          ("Solo", "Studio", "Agency"), ("Basic", "Growth", "Scale")]  # fmt: skip
_PERKS = ["Unlimited projects", "Priority support", "Custom domain", "Team workspaces", "SSO login", "API access",
          "Advanced analytics", "Offline mode", "Version history", "10 GB storage", "100 GB storage",
          "Audit logs", "Email support", "Dedicated manager", "Export to PDF", "Unlimited guests"]  # fmt: skip
_PRICING = Copy(
    titles=["Pricing", "Plans & Pricing", "Choose your plan", "Simple pricing"],
    nouns=["a pricing table with a monthly/yearly toggle", "a SaaS pricing page",
           "three pricing tiers with a billing switch"],
    features=["a highlighted featured plan", "a yearly discount", "feature lists", "a selection summary"],
    taglines=["No hidden fees.", "Cancel anytime.", "Save {save}% with yearly billing."],
    tips=["Prices exclude VAT.", "Switch billing anytime.", "Every plan has a free trial."],
)  # fmt: skip
_PRICING_HTML = """<div class="row billing"><span>Monthly</span><label class="switch"><input type="checkbox" id="yearly"
aria-label="Bill yearly"><span></span></label><span>Yearly <em>(save {{save}}%)</em></span></div>
<section class="plans">
{{cards}}
</section>
<p id="summary" class="muted">Pick a plan to see your total.</p>"""
_PLAN_HTML = """<article class="plan panel{{featured}}"><h3>{{name}}</h3>
<p class="price"><span id="price-{{i}}">{{price}}</span><small class="per">/mo</small></p>
<ul>{{perks}}</ul><button class="choose" data-i="{{i}}">Choose {{name}}</button></article>"""
_PRICING_CSS = """.billing { justify-content: center; margin-bottom: 16px; }
.plans { display: grid; grid-template-columns: repeat(auto-fit, minmax({{w}}px, 1fr)); gap: {{gap}}px; }
.plan.featured { outline: 3px solid {{accent}}; transform: translateY(-6px); }
.plan.chosen { outline: 3px solid {{accent2}}; }
.price { font-size: {{fs}}rem; font-weight: 700; margin: 6px 0; }
.switch input { width: 44px; height: 22px; accent-color: {{accent}}; }"""


def pricing_app(rng: random.Random, colors: dict) -> App:
    """Three plans, a monthly/yearly switch (a checkbox) and Choose buttons that fill a summary line."""
    names = pick(rng, _PLANS)
    monthly = sorted(rng.sample(range(5, 99), 3))
    if names[0] == "Free":
        monthly[0] = 0
    save, symbol = pick(rng, [10, 15, 20, 25]), pick(rng, ["$", "€", "£"])
    perks, featured = pick(rng, _PERKS, 9), rng.randrange(3)
    cards = "\n".join(
        fill(_PLAN_HTML, featured=" featured" if i == featured else "", name=name, i=i, price=f"{symbol}{monthly[i]}",
             perks="".join(f"<li>{p}</li>" for p in perks[: 3 * (i + 1)][-3 - i :]))  # bigger plans, more perks
        for i, name in enumerate(names)
    )  # fmt: skip
    css = fill(_PRICING_CSS, w=rng.choice([170, 190, 210]), gap=rng.randint(10, 20), fs=rng.choice([1.8, 2.1, 2.4]),
               **colors)  # fmt: skip
    js = fill(_PRICING_JS, monthly=js_value(monthly), names=js_value(list(names)), save=save, symbol=js_value(symbol))
    yearly = monthly[2] * 12 * (100 - save) // 100
    checklist = [
        count("Shows three plans", ".plan", 3),
        present("Has a billing switch", "#yearly"),
        does("Yearly billing shows the discounted price", [{"click": "#yearly"}], "#price-2", f"{symbol}{yearly}"),
        does(f"Choosing {names[1]} fills the summary", [{"click": '.choose[data-i="1"]'}], "#summary",
             f"{names[1]}: {symbol}{monthly[1]} per month."),
        says(f"Mentions the {save}% yearly saving", f"save {save}%"),
    ]  # fmt: skip
    page = (fill(_PRICING_HTML, save=save, cards=cards), css, js)
    return make_app(rng, "pricing_table", _PRICING, page, checklist, save=save)


_PRICING_JS = """const monthly = {{monthly}}, names = {{names}}, save = {{save}}, symbol = {{symbol}};
const yearlyBox = document.getElementById('yearly');
let chosen = null;

function price(i) {
  return yearlyBox.checked ? Math.floor(monthly[i] * 12 * (100 - save) / 100) : monthly[i];
}

function refresh() {
  monthly.forEach((_, i) => { document.getElementById('price-' + i).textContent = symbol + price(i); });
  document.querySelectorAll('.per').forEach(el => { el.textContent = yearlyBox.checked ? '/yr' : '/mo'; });
  if (chosen !== null) {
    document.getElementById('summary').textContent = names[chosen] + ': ' + symbol + price(chosen) +
      (yearlyBox.checked ? ' per year.' : ' per month.');
  }
}

yearlyBox.addEventListener('change', refresh);
document.querySelectorAll('.choose').forEach(button => button.addEventListener('click', () => {
  chosen = +button.dataset.i;
  document.querySelectorAll('.plan').forEach((plan, i) => plan.classList.toggle('chosen', i === chosen));
  refresh();
}));
refresh();"""
