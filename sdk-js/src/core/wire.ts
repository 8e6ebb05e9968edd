/**
 * Wire types of the CAAS protocol shared by every feature, as the server sends
 * them (snake_case keys, RFC 3339 timestamps as strings): JSON values, users,
 * push frames and errors. See docs/protocol.md of the server.
 *
 * @packageDocumentation
 */

/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** An end user of the client app, as `session.ready` and `GET /v1/me` show it. */
export interface User {
  /** The id the client app gave this user. */
  id: string;
  /** Display name. */
  name: string | null;
  /** Avatar picture URL. */
  avatar_url: string | null;
  /** Free-form JSON object shared by the client app. */
  metadata: JsonObject;
  /** RFC 3339. */
  created_at: string;
  /** RFC 3339. */
  updated_at: string;
}

/** Data of `session.ready`, the first frame of every connection. */
export interface SessionReady {
  /** The connected user. */
  user: User;
  /**
   * Without a resume cursor: the position of the event stream now. With one:
   * that same cursor (missed events follow, oldest first).
   */
  cursor: string;
}

/** A server push frame as received. */
export interface PushFrame {
  /** Event name, e.g. `message.new`. */
  event: string;
  /** Event data. */
  data: JsonValue;
  /** Present on persistent events: their position in the user's event stream. */
  cursor?: string;
}

/** `{"error": {code, message}}`: the error shape of REST bodies and WebSocket replies. */
export interface ErrorDetail {
  /** snake_case reason code, e.g. `forbidden`. */
  code: string;
  /** What went wrong, for a person. */
  message: string;
}

/** The empty reply of ops that return nothing. */
export type EmptyReply = Record<string, never>;
