/**
 * Event details shared by the components.
 *
 * @packageDocumentation
 */

/** Detail of the `caas-error` event. */
export interface ActionErrorDetail {
  /** The op or action that failed, e.g. `conversation.list`. */
  action: string;
  /** What the client threw. */
  error: unknown;
}
