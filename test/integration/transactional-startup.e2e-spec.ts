import '../support/cjs-interop.js';
import { Test } from '@nestjs/testing';
import '../support/create-test-app.js';
import { useTestDatabase } from '../support/use-test-database.js';

// nestjs-cls is loaded only after cjs-interop has run (see there).
const { noClsModule } = await import('../fixtures/no-cls/no-cls.module.js');

// Its own file: nestjs-cls keeps its TransactionHost in a static map, so an app with the plugin
// elsewhere in the same file would make this test pass for the wrong reason.
describe('a transactional route without the nestjs-cls transaction plugin', () => {
  const db = useTestDatabase();

  it.each([
    ['no ClsModule at all', false],
    ['ClsModule without ClsPluginTransactional', true],
  ])('fails app.init() with a message that says what to register (%s)', async (_, withCls) => {
    const moduleRef = await Test.createTestingModule({
      imports: [noClsModule(db.url, withCls)],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    try {
      await expect(app.init()).rejects.toThrow(/ClsModule.*ClsPluginTransactional/);
    } finally {
      await app.close();
    }
  });
});
