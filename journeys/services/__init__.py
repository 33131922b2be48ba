"""Use-cases that change journeys (a coordinator's own are in coordination.services). Each runs
in one transaction, writes its events, and publishes its handoffs only after commit (DESIGN.md,
"The handoff protocol").

- `applications`: what the applicant does (start, answer, submit, answer a request);
- `casework`: what a unit's caseworkers do (claim, take next, ask, note, add a document,
  decide);
- `documents`: storing an upload (the one way a file comes in), the application's file
  questions and attaching their documents to the steps that need them;
- `reopening`: reopening a decision, sending a step back, transferring it to another unit;
- `consultations`: a unit asking another unit's opinion on its step, and the answer;
- `withdrawing`: the applicant withdrawing a submitted application;
- `consultation_withdrawal`: withdrawing the consultations a step no longer needs;
- `fees`: a step's unpaid invoice follows it to another unit (payments.services does the rest);
- `conversations`: the applicant and the unit of a step writing to each other;
- `watching`: the sweeps that watch every journey, and the applicant's request for a decision;
- `handoffs`: the handoff outbox (create, publish, deliver, sweep);
- `emails`: the e-mail outbox (create, publish, send, sweep);
- `outbox`: publishing either outbox's rows after commit, never raising into the caller;
- `contacts`: the journey's named contact (a default at submission, assigned by coordinators);
- `events`: the append-only journey log;
- `letters`: decision letters and receipts as PDF documents, printed after commit;
- `messages`: messages to the applicant, written in the portal and e-mailed through the outbox;
- `secrecy`: a unit marking a document or an answer as subject to secrecy, and removing it.
"""

from journeys.services.amending import (
    AmendRefused,
    AnswerDecided,
    JourneyNotOpen,
    amendable_keys,
    journey_amend,
    journey_answers,
    journey_answers_amend,
    steps_reroute,
)
from journeys.services.applications import (
    document_add,
    information_request_answer,
    journey_applying_for_organisation,
    journey_applying_for_self,
    journey_save_answers,
    journey_start,
    journey_submit,
)
from journeys.services.casework import (
    NoClaimToConfirm,
    NotAssignee,
    StepChanged,
    StepClosed,
    blockable_steps,
    default_blocked,
    information_request_create,
    journey_representative_confirm,
    note_add,
    step_claim,
    step_decide,
    step_delay_explain,
    step_document_add,
    step_reassign,
    step_release,
    step_take_next,
)
from journeys.services.consultation_withdrawal import consultations_withdraw
from journeys.services.consultations import (
    ConsultationAnswered,
    ConsultationWithdrawn,
    SameUnit,
    consultation_answer,
    consultation_request,
)
from journeys.services.contacts import contact_default, journey_contact_assign
from journeys.services.conversations import (
    ConversationClosed,
    NotInConversation,
    conversation_is_open,
    conversation_message_send,
    conversation_read,
    conversation_side,
)
from journeys.services.documents import journey_file_answer
from journeys.services.emails import (
    outgoing_email_send,
    outgoing_emails_create,
    outgoing_emails_publish,
    outgoing_emails_sweep,
)
from journeys.services.events import journey_event_record
from journeys.services.handoffs import (
    handoff_deliver,
    handoffs_publish,
    handoffs_sweep,
    task_failure_record,
)
from journeys.services.letters import decision_letter_create, receipt_create
from journeys.services.messages import applicant_notify
from journeys.services.reopening import (
    NotAnEarlierStep,
    send_back_targets,
    step_reopen,
    step_send_back,
    step_transfer,
    transfer_targets,
)
from journeys.services.secrecy import (
    AlreadyMarked,
    NotMarkable,
    markable_field,
    secrecy_mark,
    secrecy_unmark,
)
from journeys.services.watching import (
    decision_request_create,
    delay_notices_sweep,
    may_request_decision,
    stuck_sweep,
)
from journeys.services.withdrawing import NotWithdrawable, journey_withdraw

__all__ = [
    "ConversationClosed",
    "NotInConversation",
    "conversation_is_open",
    "conversation_message_send",
    "conversation_read",
    "conversation_side",
    "NotAnEarlierStep",
    "blockable_steps",
    "default_blocked",
    "send_back_targets",
    "step_reopen",
    "step_send_back",
    "step_transfer",
    "transfer_targets",
    "ConsultationAnswered",
    "ConsultationWithdrawn",
    "consultations_withdraw",
    "SameUnit",
    "consultation_answer",
    "consultation_request",
    "decision_letter_create",
    "receipt_create",
    "NoClaimToConfirm",
    "NotAssignee",
    "StepChanged",
    "StepClosed",
    "contact_default",
    "decision_request_create",
    "journey_contact_assign",
    "delay_notices_sweep",
    "may_request_decision",
    "stuck_sweep",
    "applicant_notify",
    "document_add",
    "handoff_deliver",
    "handoffs_publish",
    "handoffs_sweep",
    "information_request_answer",
    "information_request_create",
    "journey_answers_amend",
    "AmendRefused",
    "AnswerDecided",
    "JourneyNotOpen",
    "amendable_keys",
    "journey_amend",
    "journey_answers",
    "journey_applying_for_organisation",
    "journey_applying_for_self",
    "journey_event_record",
    "journey_representative_confirm",
    "journey_save_answers",
    "journey_start",
    "journey_submit",
    "journey_withdraw",
    "NotWithdrawable",
    "note_add",
    "outgoing_email_send",
    "outgoing_emails_create",
    "outgoing_emails_publish",
    "outgoing_emails_sweep",
    "step_claim",
    "step_decide",
    "step_delay_explain",
    "step_document_add",
    "journey_file_answer",
    "step_reassign",
    "step_release",
    "step_take_next",
    "steps_reroute",
    "task_failure_record",
    "AlreadyMarked",
    "NotMarkable",
    "markable_field",
    "secrecy_mark",
    "secrecy_unmark",
]
