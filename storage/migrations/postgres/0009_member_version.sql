-- A counter bumped whenever a conversation's member set changes: nodes cache
-- member lists by (conversation, member_version) and never serve a stale list.
ALTER TABLE conversations ADD COLUMN member_version BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION bump_member_version() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE conversations SET member_version = member_version + 1
        WHERE app_id = OLD.app_id AND id = OLD.conversation_id;
        RETURN OLD;
    END IF;
    UPDATE conversations SET member_version = member_version + 1
    WHERE app_id = NEW.app_id AND id = NEW.conversation_id;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER members_changed AFTER INSERT OR DELETE ON members
    FOR EACH ROW EXECUTE FUNCTION bump_member_version();
