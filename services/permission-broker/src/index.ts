export { permissionBrokerService } from './service.ts';
export type { PermissionBrokerOptions } from './service.ts';
