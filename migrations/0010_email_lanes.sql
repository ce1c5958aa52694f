-- Several emails are sent at once, but never two to one address at the
-- same moment: the senders look for an earlier email to the same address
-- that is being sent through this index.
CREATE INDEX outbox_pending_address ON outbox(address, id) WHERE status = 'pending' AND channel = 'email';
