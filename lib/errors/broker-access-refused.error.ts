import { JobsError } from './jobs.error';

/**
 * The broker refused the connection itself: wrong credentials (AMQP 403 ACCESS_REFUSED) or a vhost
 * that does not exist or the user may not use (530 NOT_ALLOWED). Not transient: retrying with the same
 * settings fails the same way, so it is a JobsError (a consumer stops instead of retrying forever).
 */
export class BrokerAccessRefusedError extends JobsError {
  constructor(
    /** The broker's address, without credentials. */
    readonly address: string,
    readonly username: string,
    readonly vhost: string,
    /** `credentials`: the login was refused; `vhost`: opening the vhost was refused. */
    readonly refused: 'credentials' | 'vhost',
    /** The broker's own words, when it gave any. */
    readonly reason: string,
  ) {
    super(
      refused === 'credentials'
        ? `RabbitMQ at ${address} refused the login of user "${username}" (${reason}) — check the username and password ` +
            `(rabbitmqctl list_users; the built-in "guest" may only connect from localhost)`
        : `RabbitMQ at ${address} refused to open vhost "${vhost}" for user "${username}" (${reason}) — the vhost does not ` +
            `exist or the user has no permissions on it: check rabbitmqctl list_vhosts and rabbitmqctl list_user_permissions ${username}`,
    );
  }
}
