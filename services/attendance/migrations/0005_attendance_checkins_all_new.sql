-- A batch of first check-ins is one statement that commits as it ends
-- (store/checkin_first.cc), with no transaction around it to roll back
-- when one of its check-ins finds its record or key taken. The statement
-- ends by handing this function the ids of those check-ins; any at all
-- fails it, and with it everything it wrote. SQLSTATE IOP01 tells that
-- refusal apart from every other error: the batch then runs in a
-- transaction that can name them and leave them out.
CREATE FUNCTION attendance_require_new_checkins(not_new text[]) RETURNS void AS $$
BEGIN
  IF cardinality(not_new) > 0 THEN
    RAISE EXCEPTION USING ERRCODE = 'IOP01',
      MESSAGE = cardinality(not_new) || ' check-ins of the batch found their record or key taken';
  END IF;
END $$ LANGUAGE plpgsql;
