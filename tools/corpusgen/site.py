"""Corpus apps that are parts of a website: validated sign-up/contact/booking forms, modal dialogs,
pricing tables with a billing toggle.

Repeated actions keep changing the page, as the interaction probe expects of a live control: a second
failed submit is worded differently from the first, and a click on the backdrop closes a dialog.
"""

from __future__ import annotations

import random

from corpusgen.kit import App, Copy, count, does, esc, fill, js_value, make_app, pick, present, says

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
    body = fill("site/form.html", fields="\n".join(f'<div class="field">{f}</div>' for f in fields),
                submit=pick(rng, submits))  # fmt: skip
    css = fill(
        "site/form.css",
        cols=rng.choice(["1fr", "1fr 1fr"]) if len(fields) > 4 else "1fr",
        gap=rng.randint(12, 24),
        bad=pick(rng, ["#dc2626", "#e11d48", "#b91c1c"]),
    )
    js = fill("site/form.js", rules=js_value(rules), success=js_value(success), live=js_value(rng.random() < 0.5))
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
    return page, fill("site/delete_dialog.html"), checklist, noun


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
    return fill("site/subscribe_page.html", offer=esc(offer)), fill("site/subscribe_dialog.html"), checklist, noun


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
    css = fill("site/modal.css", alpha=pick(rng, ["8", "a", "b"]), **look)
    js = fill("site/modal.js", variant=js_value(variant))
    return make_app(
        rng, "modal_dialog", _MODAL, (fill("site/modal.html", page=page, dialog=dialog), css, js), checklist, noun=noun
    )


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


def pricing_app(rng: random.Random, colors: dict) -> App:
    """Three plans, a monthly/yearly switch (a checkbox) and Choose buttons that fill a summary line."""
    names = pick(rng, _PLANS)
    monthly = sorted(rng.sample(range(5, 99), 3))
    if names[0] == "Free":
        monthly[0] = 0
    save, symbol = pick(rng, [10, 15, 20, 25]), pick(rng, ["$", "€", "£"])
    perks, featured = pick(rng, _PERKS, 9), rng.randrange(3)
    cards = "\n".join(
        fill(
            "site/plan.html",
            featured=" featured" if i == featured else "",
            name=name,
            i=i,
            price=f"{symbol}{monthly[i]}",
            perks="".join(f"<li>{p}</li>" for p in perks[: 3 * (i + 1)][-3 - i :]),
        )  # bigger plans, more perks
        for i, name in enumerate(names)
    )
    css = fill(
        "site/pricing.css",
        w=rng.choice([170, 190, 210]),
        gap=rng.randint(10, 20),
        fs=rng.choice([1.8, 2.1, 2.4]),
        **colors,
    )
    js = fill(
        "site/pricing.js", monthly=js_value(monthly), names=js_value(list(names)), save=save, symbol=js_value(symbol)
    )
    yearly = monthly[2] * 12 * (100 - save) // 100
    checklist = [
        count("Shows three plans", ".plan", 3),
        present("Has a billing switch", "#yearly"),
        does("Yearly billing shows the discounted price", [{"click": "#yearly"}], "#price-2", f"{symbol}{yearly}"),
        does(f"Choosing {names[1]} fills the summary", [{"click": '.choose[data-i="1"]'}], "#summary",
             f"{names[1]}: {symbol}{monthly[1]} per month."),
        says(f"Mentions the {save}% yearly saving", f"save {save}%"),
    ]  # fmt: skip
    page = (fill("site/pricing.html", save=save, cards=cards), css, js)
    return make_app(rng, "pricing_table", _PRICING, page, checklist, save=save)
