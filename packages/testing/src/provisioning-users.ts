/**
 * Two users for a nats-server config: `admin` may do anything; `service` may use JetStream but not
 * create, change or delete a stream (so no bucket or object store either), as a least-privilege
 * service user. Pass `config` to `startNatsServer`.
 */
export const provisioningUsers = {
  admin: { user: 'admin', password: 'admin-password' },
  service: { user: 'service', password: 'service-password' },
  config: `authorization {
  users: [
    { user: admin, password: admin-password }
    { user: service, password: service-password, permissions: {
      publish: { allow: [">"], deny: ["$JS.API.STREAM.CREATE.>", "$JS.API.STREAM.UPDATE.>", "$JS.API.STREAM.DELETE.>"] }
      subscribe: { allow: [">"] }
    } }
  ]
}
`,
} as const;
