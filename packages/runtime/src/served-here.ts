/** The services of this process that serve another one here (executors, brokers), in the order they started. */
export class ServedHere<Server> {
  readonly #servers: Server[] = [];

  /** Adds a service's server; the returned function takes it away again (the service is stopping). */
  serve(server: Server): () => void {
    this.#servers.push(server);
    return () => {
      const index = this.#servers.indexOf(server);
      if (index >= 0) this.#servers.splice(index, 1);
    };
  }

  protected get servers(): readonly Server[] {
    return this.#servers;
  }
}
