/**
 * Where the library's log lines go. `context` names the part that logs (`LocalClient`,
 * `ObjectDetection(object_detection)`). Nest's `Logger` class and its instances fit this shape.
 */
export interface JobsLogger {
  log(message: string, context: string): void;
  warn(message: string, context: string): void;
  error(message: string, context: string): void;
}
