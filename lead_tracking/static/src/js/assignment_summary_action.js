/** @odoo-module **/
// The summary of an assignment run, one line per team and member: Odoo's own display_notification
// shows its message as a single paragraph.
import { markup } from "@odoo/owl";
import { registry } from "@web/core/registry";

function assignmentSummaryAction(env, action) {
    const params = action.params || {};
    const list = document.createElement("div");
    for (const line of params.lines || []) {
        const row = document.createElement("div");
        row.textContent = line;
        list.appendChild(row);
    }
    env.services.notification.add(markup(list.innerHTML), {
        title: params.title,
        type: params.type || "info",
        sticky: Boolean(params.sticky),
    });
    return params.next;
}

registry.category("actions").add("lt_assignment_summary", assignmentSummaryAction);
