import type { Subscription } from '@nats-io/nats-core';
import type { PermissionBrokerStatus } from '@signalbox/events';
import type { ServiceContext } from '@signalbox/runtime';

/** Every replica answers (no queue group), so `doctor` hears each one and can compare their keys and versions. */
export function answerStatus(context: ServiceContext, status: () => PermissionBrokerStatus): Subscription {
  return context.nc.subscribe(context.names.subjects.permissionStatus, {
    callback: (error, message) => {
      if (error) return context.logger.error({ err: error }, 'the permission status subscription failed');
      if (message.reply) message.respond(JSON.stringify(status()));
    },
  });
}
