"""Notifications beyond the app: an outbox of deliveries (e-mail, webhook) and the worker
that sends them with retries, a dead-letter state and a delivery log.

The in-app ``notification`` row (``simpul.applications.notices``) is the message; a
``Delivery`` carries it to one channel. Both are written in the same transaction as the event
(``outbox.enqueue_for_notification``), so a rolled-back change sends nothing. The worker
(``worker.run_worker``, ``simpul worker``) claims due deliveries with ``FOR UPDATE SKIP LOCKED``
and sends them outside any transaction.
"""
