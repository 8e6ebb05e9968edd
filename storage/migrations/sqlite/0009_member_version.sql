-- A counter bumped whenever a conversation's member set changes: nodes cache
-- member lists by (conversation, member_version) and never serve a stale list.
ALTER TABLE conversations ADD COLUMN member_version INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER members_added AFTER INSERT ON members BEGIN
    UPDATE conversations SET member_version = member_version + 1
    WHERE app_id = NEW.app_id AND id = NEW.conversation_id;
END;

CREATE TRIGGER members_removed AFTER DELETE ON members BEGIN
    UPDATE conversations SET member_version = member_version + 1
    WHERE app_id = OLD.app_id AND id = OLD.conversation_id;
END;
