/** One run of nats-server, from launch until it exits: a process or a container. */
export interface RunningServer {
  /** The host pid of nats-server; undefined once it was stopped or killed. */
  readonly pid: number | undefined;
  /** SIGTERM and wait: a clean shutdown. Does nothing when it already exited. */
  stop(): Promise<void>;
  /** SIGKILL and wait: a crash. Does nothing when it already exited. */
  kill(): Promise<void>;
  /** Suspends it: its sockets stay open, nothing answers. */
  freeze(): Promise<void>;
  thaw(): Promise<void>;
}

/** Starts nats-server with `args`, resolving once it logged that it is ready. */
export type LaunchServer = (args: string[]) => Promise<RunningServer>;

/** How long a server may take to log that it is ready, and then to report JetStream healthy. */
export const readyTimeoutMs = 15_000;
