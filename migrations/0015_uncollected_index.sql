-- The scheduler looks for documents waiting to be collected each time it
-- wakes: only those not collected and not yet reminded are in this index.
CREATE INDEX participants_uncollected ON participants(handover_ready_at)
    WHERE handover_ready_at IS NOT NULL AND received_at IS NULL AND handover_reminded_at IS NULL;
