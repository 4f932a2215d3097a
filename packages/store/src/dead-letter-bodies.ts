import type { NatsConnection } from '@nats-io/nats-core';
import { Objm } from '@nats-io/obj';
import type { Naming } from '@signalbox/events';
import { readObject } from './object-reads.ts';

/**
 * Bodies of dead letters too large to copy into the dead-letter stream (the copy adds headers to a
 * message that may already fill the server's payload limit), kept in the dead-letters object store
 * under the name their dead letter carries.
 */
export class DeadLetterBodies {
  readonly #nc: NatsConnection;
  readonly #names: Naming;

  constructor(nc: NatsConnection, names: Naming) {
    this.#nc = nc;
    this.#names = names;
  }

  /** Stores `data` as `name`; storing it again (a redelivery) replaces it with the same bytes. */
  async put(name: string, data: Uint8Array): Promise<void> {
    await (await this.#open()).putBlob({ name }, data);
  }

  /** The body stored as `name`, or undefined when there is none (deleted after a re-drive). */
  async get(name: string): Promise<Uint8Array | undefined> {
    return readObject(await this.#open(), name);
  }

  async delete(name: string): Promise<void> {
    await (await this.#open()).delete(name);
  }

  async #open() {
    return new Objm(this.#nc).open(this.#names.objectStores.deadLetters);
  }
}
