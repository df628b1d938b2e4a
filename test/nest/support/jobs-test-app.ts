import type { DynamicModule, INestApplicationContext, ModuleMetadata, Provider } from '@nestjs/common';
import { Test } from '@nestjs/testing';

const open = new Set<INestApplicationContext>();

/**
 * Compiles and initialises an application context (no HTTP) around `jobsModule` and `providers`, with
 * logging off. Every context it opens is remembered so `closeAll()` in afterEach closes it even when
 * the test failed half-way — an open LocalClient with a blocked consumer keeps Jest from exiting.
 */
export async function bootJobsApp(
  jobsModule: DynamicModule,
  providers: Provider[] = [],
  imports: ModuleMetadata['imports'] = [],
): Promise<INestApplicationContext> {
  const moduleRef = await Test.createTestingModule({ imports: [jobsModule, ...imports], providers }).compile();
  moduleRef.useLogger(false);
  open.add(moduleRef);
  return moduleRef.init();
}

/** Closes `app` and forgets it. */
export async function closeApp(app: INestApplicationContext): Promise<void> {
  open.delete(app);
  await app.close();
}

/** Closes every context still open (for afterEach). */
export async function closeAll(): Promise<void> {
  const left = [...open];
  open.clear();
  await Promise.all(left.map((app) => app.close().catch(() => undefined)));
}
