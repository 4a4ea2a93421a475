-- A data set of our own in the original BadgeKit API's schema (tests/migration/schema.sql),
-- covering every entity the import reads and the edges a long-running deployment collects.
-- Every id is explicit (the original's answers for this data are recorded from it) and
-- timestamps are UTC (this file sets the session's time zone). Characters stay inside the Basic
-- Multilingual Plane: the original's `utf8` columns cannot hold anything else.
--
-- Rows the contract refuses, on purpose (the import's dry run must report each of them):
--   images 7 (text/html, not an image), 8 (declared image/png, bytes are a GIF),
--          9 (SVG with a document type declaration);
--   consumers 4 (system 99 does not exist); webhooks 4 (plain http:// URL);
--   badges 9 and 10 (their images are 7 and 8), 11 (image 99 does not exist), 12 (system 42
--          does not exist);
--   tags 8, categories 6, criteria 12, alignments 4, claimCodes 9, badgeInstances 12,
--          applications 6 (badge 77 does not exist); evidence 7 (application 60 does not exist);
--          reviews 6 (application 60); reviewItems 10 (criterion 999 does not exist);
--   badgeInstances 10 (issuedOn is the zero date, what MySQL stored for an unparseable date).
-- Badge 1's alignment 2 has no description: the original fails on every read of badge 1 (and so
-- on every list that holds it); badge 16 (system lyon) carries the same kinds of relations
-- without that gap, so the original's lists of its system are compared in full.
-- Gaps in ids are rows the original deleted: badge instance 9 was revoked (the original deletes
-- the row), badge 13 and claim code 8 were deleted; counters must still end above the largest id.

SET NAMES utf8mb4;
SET time_zone = '+00:00';
-- The original's era (MySQL 5.6): not strict, zero dates allowed.
SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION';

INSERT INTO `migrations` (`id`, `name`, `run_on`) VALUES
  (1, '/20140603150606-initial', '2014-06-03 15:30:00'),
  (2, '/20140606190514-45-badge-uniqueness', '2014-06-06 19:10:00'),
  (3, '/20140609142108-evidence-type', '2014-06-09 14:30:00'),
  (4, '/20140609165236-standards-alignment', '2014-06-09 17:00:00');

-- Images: one of every stored type (PNG, JPEG, GIF, SVG, WebP), JPEG declared as image/jpg,
-- PNG declared in capitals, a remote image (URL, no bytes), and three the contract refuses.
INSERT INTO `images` (`id`, `slug`, `url`, `mimetype`, `data`) VALUES
  (1, '832bd1f871a188bba8499cda1cd0523e', NULL, 'image/png', 0x89504e470d0a1a0a0000000d494844520000000200000002080600000072b60d24000000114944415478da6390cfdff21f8419600c004b6c09053e79a6290000000049454e44ae426082),
  (2, 'a6b9b6c616dff97e2945116f5a8e43c0', NULL, 'image/jpeg', 0xffd8ffe000104a46494600010100000100010000ffdb00430001010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101ffc0000b080008000801011100ffc40014000100000000000000000000000000000000ffc40014100100000000000000000000000000000000ffda0008010100003f003fffd9),
  (3, '2bb2ab9b0af37faf5c1153005a7d8d71', NULL, 'image/gif', 0x474946383961010001008000000000ffffff21f90401000000002c00000000010001000002024401003b),
  (4, '9ff9395de6331b1cf01e66836da4f9bf', NULL, 'image/svg+xml', 0x3c73766720786d6c6e733d22687474703a2f2f7777772e77332e6f72672f323030302f737667222077696474683d22313622206865696768743d223136222076696577426f783d22302030203136203136223e3c7469746c653e52656164696e6720636c756220e2809420737461723c2f7469746c653e3c7061746820643d224d3820316c32203568356c2d342033203220362d352d342d35203420322d362d342d3368357a222066696c6c3d2223663561363233222f3e3c2f7376673e),
  (5, 'ea483ebe75fc71af357a66f9dad1a53f', NULL, 'image/webp', 0x524946461a000000574542505650384c0d0000002f00000010071011118888fe0700),
  (6, '1a876a5a9eddbb679ee2e9345ea30f4f', 'https://cdn.example.org/badges/caf%C3%A9.png', NULL, NULL),
  (7, '813a7ca3042d273f07b88a432b76ec9e', NULL, 'text/html', 0x3c21646f63747970652068746d6c3e3c68746d6c3e3c626f64793e3c7363726970743e616c65727428646f63756d656e742e636f6f6b6965293c2f7363726970743e3c2f626f64793e3c2f68746d6c3e),
  (8, 'c465cfa93459f6742bb8a976fbf8da64', NULL, 'image/png', 0x474946383961010001008000000000ffffff21f90401000000002c00000000010001000002024401003b),
  (9, '3b6d04521de5531a95e92cb4002f22a9', NULL, 'image/svg+xml', 0x3c3f786d6c2076657273696f6e3d22312e30223f3e3c21444f435459504520737667205b3c21454e544954592078202279223e5d3e3c73766720786d6c6e733d22687474703a2f2f7777772e77332e6f72672f323030302f737667223e26783b3c2f7376673e),
  (10, '1ac4b2642e82ad05e2380846c437391c', NULL, 'image/jpg', 0xffd8ffe000104a46494600010100000100010000ffdb00430001010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101ffc0000b080008000801011100ffc40014000100000000000000000000000000000000ffc40014100100000000000000000000000000000000ffda0008010100003f003fffd9),
  (11, '5926caae22d6815f9921dda06b82ff0c', NULL, 'IMAGE/PNG', 0x89504e470d0a1a0a0000000d494844520000000200000002080600000072b60d24000000114944415478da6390cfdff21f8419600c004b6c09053e79a6290000000049454e44ae426082),
  (12, '2cb9e5c510add9ebb1f367cc52c6404c', NULL, 'image/png', 0x89504e470d0a1a0a0000000d494844520000000200000002080600000072b60d24000000114944415478da6390cfdff21f8419600c004b6c09053e79a6290000000049454e44ae426082),
  (13, 'acd66a1d4d686f59f9866acadfccd8c1', NULL, 'image/gif', 0x474946383961010001008000000000ffffff21f90401000000002c00000000010001000002024401003b),
  (14, '88886c1162a76d49bd5457e9e42261ae', NULL, 'image/png', 0x89504e470d0a1a0a0000000d494844520000000200000002080600000072b60d24000000114944415478da6390cfdff21f8419600c004b6c09053e79a6290000000049454e44ae426082),
  (15, '40ac7253b02656e3ef6f979e162834eb', 'https://lyon.example.fr/logo.svg', NULL, NULL);

INSERT INTO `systems` (`id`, `slug`, `name`, `url`, `description`, `email`, `imageId`) VALUES
  (1, 'chicago', 'Chicago Summer of Learning', 'https://chicagosummeroflearning.org',
   'Badges earned across the city''s libraries, museums and parks.', 'badges@chicago.example.org', 1),
  (2, 'pittsburgh', 'Pittsburgh City of Learning', 'https://pittsburgh.example.org', NULL, NULL, 11),
  (3, 'lyon', 'Système d''apprentissage — Lyon 学习', 'https://lyon.example.fr',
   'Ünïcödé: « apprendre » en français, 学习 en chinois, Ελληνικά, עברית.', 'contact@lyon.example.fr', 15);

INSERT INTO `consumers` (`id`, `apiKey`, `apiSecret`, `description`, `systemId`) VALUES
  (1, 'chicago-site', 'c3VwZXItc2VjcmV0LWNoaWNhZ28tc2l0ZQ', 'The Chicago website', 1),
  (2, 'chicago-mobile', 'bW9iaWxlLWFwcC1zZWNyZXQtMjAxNA', NULL, 1),
  (3, 'pittsburgh-site', 'cGl0dHNidXJnaC1zZWNyZXQ', 'Pittsburgh''s site', 2),
  (4, 'orphan-key', 'b3JwaGFuLXNlY3JldA', 'System 99 was deleted long ago', 99);

INSERT INTO `webhooks` (`id`, `url`, `secret`, `systemId`) VALUES
  (1, 'https://hooks.chicago.example.org/badgekit', 'chicago-hook-secret', 1),
  (2, 'https://hooks.pittsburgh.example.org/awards', 'pittsburgh-hook-secret', 2),
  (3, 'https://backup.chicago.example.org/hook?source=badgekit', 'backup-secret', 1),
  (4, 'http://intranet.lyon.example.fr/hook', 'lyon-plain-http', 3);

INSERT INTO `issuers` (`id`, `slug`, `name`, `url`, `description`, `email`, `imageId`, `systemId`) VALUES
  (1, 'library', 'Chicago Public Library', 'https://library.chicago.example.org',
   'Reading programs for every age.', 'reading@library.chicago.example.org', 2, 1),
  (2, 'parks', 'Chicago Park District', 'https://parks.chicago.example.org', NULL, NULL, NULL, 1),
  (3, 'carnegie', 'Carnegie Museum of Natural History', 'https://carnegie.example.org',
   'Dinosaurs, gems and minerals.', 'learn@carnegie.example.org', 3, 2),
  (4, 'library', 'Carnegie Library of Pittsburgh', 'https://clp.example.org', NULL, NULL, NULL, 2);

INSERT INTO `programs` (`id`, `slug`, `name`, `url`, `description`, `email`, `imageId`, `issuerId`) VALUES
  (1, 'reading-club', 'Summer Reading Club', 'https://library.chicago.example.org/club',
   'Read, review, repeat.', 'club@library.chicago.example.org', 4, 1),
  (2, 'maker-lab', 'Maker Lab', 'https://library.chicago.example.org/maker', NULL, NULL, NULL, 1),
  (3, 'reading-club', 'Pittsburgh Reading Club', 'https://clp.example.org/club', NULL, NULL, NULL, 4);

-- Badges at every level (system, issuer, program), archived ones, every evidence type and time
-- unit, a unicode name and slug, and a description near the TEXT column's 64 KiB.
INSERT INTO `badges` (`id`, `slug`, `name`, `strapline`, `earnerDescription`, `consumerDescription`,
  `issuerUrl`, `rubricUrl`, `criteriaUrl`, `timeValue`, `timeUnits`, `limit`, `unique`, `archived`,
  `created`, `imageId`, `programId`, `issuerId`, `systemId`, `type`, `evidenceType`) VALUES
  (1, 'reading-100', 'Read 100 Books', 'A hundred books in one summer',
   'You read one hundred books between June and August.', 'The earner read 100 books.',
   'https://chicagosummeroflearning.org', 'https://chicagosummeroflearning.org/rubrics/reading-100',
   'https://chicagosummeroflearning.org/criteria/reading-100', 10, 'hours', NULL, 0, 0,
   '2014-06-10 14:02:57', 1, NULL, NULL, 1, 'skill', 'Text'),
  (2, 'library-explorer', 'Library Explorer', NULL,
   'You visited five branches of the library.', 'Visited five branches.',
   NULL, NULL, 'https://library.chicago.example.org/criteria/explorer', 2, 'weeks', 100, 1, 0,
   '2014-06-11 09:30:00', 2, NULL, 1, 1, 'achievement', 'Photo'),
  (3, 'reading-club-star', 'Reading Club Star', 'Top of the club',
   'You reviewed ten books for the club.', 'Reviewed ten books.',
   'https://library.chicago.example.org', NULL, 'https://library.chicago.example.org/criteria/star',
   NULL, NULL, 5, 0, 0, '2014-06-12 18:45:10', 4, 1, 1, 1, 'participation', 'URL'),
  (4, 'maker-2013', 'Maker 2013', NULL,
   'You built something at the 2013 Maker Lab.', 'Built something in 2013.',
   NULL, NULL, 'https://library.chicago.example.org/criteria/maker-2013', 3, 'days', NULL, 1, 1,
   '2013-07-01 12:00:00', 5, 2, 1, 1, 'skill', NULL),
  (5, 'café-naïve-学习', 'Café ☕ Naïve — 学习者', 'Ünïcödé strapline « ça marche » ✓',
   CONCAT('Ünïcödé description. ', REPEAT('Apprendre — 学习 — Ελληνικά — lire ☕ ', 1150)),
   'Большое описание: unicode in every field ✓', NULL, NULL,
   'https://lyon.example.fr/critères/café', 90, 'minutes', 1, 0, 0,
   '2014-07-14 00:00:00', 6, NULL, NULL, 3, 'compétence', 'Text'),
  (6, 'dino-expert', 'Dinosaur Expert', 'Knows a T. rex from an Allosaurus',
   'You named twenty dinosaurs at the museum.', 'Named twenty dinosaurs.',
   'https://carnegie.example.org', 'https://carnegie.example.org/rubric', 'https://carnegie.example.org/criteria/dino',
   45, 'minutes', NULL, 0, 0, '2014-06-20 16:00:00', 3, NULL, 3, 2, 'skill', 'Video'),
  (7, 'retired', 'Retired Badge', NULL, 'No longer awarded.', 'Retired in 2014.',
   NULL, NULL, 'https://pittsburgh.example.org/criteria/retired', 1, 'days', NULL, 0, 1,
   '2014-01-02 03:04:05', 13, NULL, NULL, 2, 'achievement', 'Sound'),
  (8, 'pgh-reader', 'Pittsburgh Reader', NULL, 'You joined the reading club.', 'Joined the club.',
   NULL, NULL, 'https://clp.example.org/criteria/reader', NULL, NULL, NULL, 0, 0,
   '2014-06-21 10:00:00', 12, 3, 4, 2, 'participation', 'URL'),
  (9, 'html-image', 'Badge With an HTML Image', NULL, 'Its image is an HTML page.', 'HTML image.',
   NULL, NULL, 'https://chicagosummeroflearning.org/criteria/html', NULL, NULL, NULL, 0, 0,
   '2014-06-22 10:00:00', 7, NULL, NULL, 1, 'skill', NULL),
  (10, 'mislabelled-image', 'Badge With a Mislabelled Image', NULL, 'PNG by name, GIF by content.',
   'Mislabelled image.', NULL, NULL, 'https://chicagosummeroflearning.org/criteria/mislabelled',
   NULL, NULL, NULL, 0, 0, '2014-06-22 10:05:00', 8, NULL, NULL, 1, 'skill', NULL),
  (11, 'lost-image', 'Badge Whose Image Is Gone', NULL, 'Image 99 was deleted.', 'Lost image.',
   NULL, NULL, 'https://chicagosummeroflearning.org/criteria/lost', NULL, NULL, NULL, 0, 0,
   '2014-06-22 10:10:00', 99, NULL, NULL, 1, 'skill', NULL),
  (12, 'orphan-badge', 'Badge of a Deleted System', NULL, 'System 42 is gone.', 'Orphan.',
   NULL, NULL, 'https://gone.example.org/criteria', NULL, NULL, NULL, 0, 0,
   '2014-06-22 10:15:00', 14, NULL, NULL, 42, 'skill', NULL),
  (14, 'svg-dtd-badge', 'Badge With an SVG Declaring Entities', NULL, 'Its SVG has a DTD.',
   'SVG with a DTD.', NULL, NULL, 'https://pittsburgh.example.org/criteria/svg',
   NULL, NULL, NULL, 0, 0, '2014-06-23 08:00:00', 9, NULL, NULL, 2, 'skill', NULL),
  (15, 'jpg-alias', 'Badge With an image/jpg Image', NULL, 'Declared image/jpg.', 'JPEG alias.',
   NULL, NULL, 'https://pittsburgh.example.org/criteria/jpg', NULL, NULL, NULL, 0, 0,
   '2014-06-23 08:30:00', 10, NULL, 3, 2, 'skill', 'Photo'),
  -- Relations like badge 1's (criteria, alignments, tags, categories, codes, awards, an
  -- application with evidence and a review) but every alignment with a description: the
  -- original fails on every read of badge 1 (its alignment 2 has none), and answers this one.
  (16, 'lecteur-lyon', 'Lecteur de Lyon', 'Dix livres à la bibliothèque',
   'Tu as lu dix livres à la bibliothèque municipale.', 'A lu dix livres.',
   'https://lyon.example.fr', 'https://lyon.example.fr/grille/lecteur',
   'https://lyon.example.fr/critères/lecteur', 4, 'weeks', 50, 0, 0,
   '2014-07-20 10:00:00', 3, NULL, NULL, 3, 'skill', 'Text');

INSERT INTO `criteria` (`id`, `badgeId`, `description`, `note`, `required`) VALUES
  (1, 1, 'Read one hundred books.', 'Any book counts, comics too.', 1),
  (2, 1, 'Write a short review of ten of them.', '', 0),
  (3, 1, 'Tell a librarian your favourite.', 'Optional but fun.', 0),
  (4, 2, 'Visit five branches.', 'Stamp your passport at each.', 1),
  (5, 2, 'Borrow a book at each branch.', '', 1),
  (6, 3, 'Review ten books for the club.', 'Reviews are read by the club.', 1),
  (7, 5, 'Lire trois livres — 学习 ✓', 'Ünïcödé note', 1),
  (8, 6, 'Name twenty dinosaurs.', 'Bird-hipped and lizard-hipped both count.', 1),
  (9, 6, 'Draw your favourite.', '', 0),
  (10, 7, 'Retired criterion.', '', 0),
  (11, 8, 'Join the club.', '', 1),
  (12, 77, 'Criterion of a deleted badge.', '', 0),
  (13, 16, 'Lire dix livres.', 'Romans et bandes dessinées.', 1),
  (14, 16, 'Raconter ton préféré.', '', 0);

INSERT INTO `alignments` (`id`, `badgeId`, `name`, `url`, `description`) VALUES
  (1, 1, 'CCSS.ELA-Literacy.RL.5.10', 'http://www.corestandards.org/ELA-Literacy/RL/5/10/',
   'Read and comprehend literature independently and proficiently.'),
  (2, 1, 'CCSS.ELA-Literacy.W.5.1', 'http://www.corestandards.org/ELA-Literacy/W/5/1/', NULL),
  (3, 6, 'NGSS MS-LS4-1', 'https://www.nextgenscience.org/pe/ms-ls4-1-biological-evolution-unity-and-diversity', 'Fossil record.'),
  (4, 77, 'Alignment of a deleted badge', 'https://example.org/alignment', NULL),
  (5, 16, 'CCSS.ELA-Literacy.RL.4.10', 'http://www.corestandards.org/ELA-Literacy/RL/4/10/',
   'Read and comprehend literature, grades 4-5.'),
  (6, 16, 'CCSS.ELA-Literacy.SL.4.4', 'http://www.corestandards.org/ELA-Literacy/SL/4/4/',
   'Report on a text.');

INSERT INTO `tags` (`id`, `badgeId`, `value`) VALUES
  (1, 1, 'reading'), (2, 1, 'books'), (3, 1, 'summer'),
  (4, 5, 'ünïcödé'), (5, 5, '学习'),
  (6, 6, 'science'), (7, 8, 'reading'),
  (8, 77, 'orphan-tag'),
  (9, 16, 'lecture'), (10, 16, 'été');

INSERT INTO `categories` (`id`, `badgeId`, `value`) VALUES
  (1, 1, 'literacy'), (2, 2, 'exploration'), (3, 2, 'library'),
  (4, 6, 'science'), (5, 5, 'catégorie'),
  (6, 77, 'orphan-category'),
  (7, 16, 'lecture');

-- Claim codes: single-use used and unused, multi-use, the same code on two badges, a code of an
-- archived badge, one of a deleted badge.
INSERT INTO `claimCodes` (`id`, `code`, `claimed`, `email`, `multiuse`, `badgeId`) VALUES
  (1, 'READ-ONE', 1, 'alice@example.org', 0, 1),
  (2, 'READ-TWO', 0, NULL, 0, 1),
  (3, 'EVERYONE-READS', 0, NULL, 1, 1),
  (4, 'DINO-FAN', 1, 'bob@example.org', 0, 6),
  (5, 'READ-ONE', 0, NULL, 0, 2),
  (6, 'MUSEUM-DAY', 0, NULL, 1, 6),
  (7, 'MAKER-2013', 0, 'erin@example.org', 0, 4),
  (9, 'ORPHAN-CODE', 0, NULL, 0, 77),
  (10, 'a1b2c3d4e5', 1, 'dave.smith@example.com', 0, 2),
  (11, 'LYON-LIT', 1, 'zoe@example.fr', 0, 16);

-- Instances: generated (40 hex) and custom slugs, with and without expiry, through claim codes
-- (single- and multi-use), the earliest and latest TIMESTAMP values, an email in mixed case
-- (the recipient hash is over the email as stored), one on an archived badge.
INSERT INTO `badgeInstances` (`id`, `slug`, `email`, `issuedOn`, `expires`, `claimCode`, `badgeId`) VALUES
  (1, '5c1f2c63d9e3b0f6a8e4c1d2b7a9f0e3c4d5e6f7', 'alice@example.org', '2014-06-15 10:20:30', NULL, 'READ-ONE', 1),
  (2, 'bob-reads-100', 'bob@example.org', '2014-06-16 11:00:00', '2016-06-16 11:00:00', NULL, 1),
  (3, '0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e', 'carol@example.org', '2014-06-17 12:00:00', NULL, 'EVERYONE-READS', 1),
  (4, 'e6b7f0c1a2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7', 'Dave.Smith@Example.COM', '2014-06-18 13:14:15', '2038-01-19 03:14:07', NULL, 3),
  (5, 'dino-bob', 'bob@example.org', '2014-06-20 17:00:00', '2030-12-31 23:59:59', 'DINO-FAN', 6),
  (6, 'f0e1d2c3b4a5968778695a4b3c2d1e0f1a2b3c4d', 'alice@example.org', '1970-01-01 00:00:01', NULL, NULL, 2),
  (7, 'maker-erin-2013', 'erin@example.org', '2013-07-05 09:00:00', NULL, NULL, 4),
  (8, 'café-élève-学习', 'zoe@example.fr', '2014-07-14 12:00:00', NULL, NULL, 5),
  (10, 'zero-date-award', 'frank@example.org', '0000-00-00 00:00:00', NULL, NULL, 3),
  (11, 'a1b2c3d4e5-dave', 'dave.smith@example.com', '2014-06-25 08:00:00', NULL, 'a1b2c3d4e5', 2),
  (12, 'orphan-award', 'gina@example.org', '2014-06-26 08:00:00', NULL, NULL, 77),
  (13, 'lecteur-zoe', 'zoe@example.fr', '2014-07-25 16:00:00', '2015-07-25 16:00:00', 'LYON-LIT', 16);

-- Applications with evidence (image, link, reflection only), several reviews with review items;
-- processed and assigned ones; one of a deleted badge.
INSERT INTO `applications` (`id`, `slug`, `badgeId`, `learner`, `created`, `assignedTo`,
  `assignedExpiration`, `processed`, `programId`, `issuerId`, `systemId`) VALUES
  (1, '3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c', 1, 'alice@example.org', '2014-06-12 08:00:00',
   'reviewer@chicago.example.org', '2014-06-19 08:00:00', NULL, NULL, NULL, 1),
  (2, '4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d', 2, 'frank@example.org', '2014-06-13 09:00:00',
   NULL, NULL, '2014-06-14 10:00:00', NULL, 1, 1),
  (3, '5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e', 3, 'gina@example.org', '2014-06-14 10:00:00',
   NULL, NULL, NULL, 1, 1, 1),
  (4, '6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f', 6, 'hank@example.org', '2014-06-21 11:00:00',
   'curator@carnegie.example.org', NULL, '2014-06-23 15:30:00', NULL, 3, 2),
  (5, '7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a', 5, 'zoe@example.fr', '2014-07-15 09:00:00',
   NULL, NULL, NULL, NULL, NULL, 3),
  (6, '8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b', 77, 'ivan@example.org', '2014-06-27 09:00:00',
   NULL, NULL, NULL, NULL, NULL, 1),
  (7, '9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c', 16, 'zoe@example.fr', '2014-07-22 09:00:00',
   'bibliothecaire@lyon.example.fr', '2014-07-29 09:00:00', '2014-07-24 17:00:00', NULL, NULL, 3);

INSERT INTO `evidence` (`id`, `applicationId`, `url`, `mediaType`, `reflection`) VALUES
  (1, 1, 'https://alice.example.org/photos/books.png', 'image', 'A photo of my hundred books.'),
  (2, 1, NULL, NULL, 'Reflection only: the best summer of reading.'),
  (3, 1, 'https://alice.example.org/blog/reviews', 'link', NULL),
  (4, 2, 'https://frank.example.org/passport', 'link', 'Five stamps.'),
  (5, 4, 'https://hank.example.org/dinos.jpg', 'image', 'Ünïcödé réflexion ✓'),
  (6, 5, 'https://zoe.example.fr/学习', 'link', 'Lu trois livres.'),
  (7, 60, 'https://example.org/orphan', 'link', NULL),
  (8, 7, 'https://zoe.example.fr/lectures', 'link', 'Ma liste de dix livres.');

INSERT INTO `reviews` (`id`, `slug`, `applicationId`, `author`, `comment`) VALUES
  (1, '9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c', 1, 'reviewer@chicago.example.org', 'Great list of books.'),
  (2, 'a09b8c7d6e5f4a3b2c1d0e9f8a7b6c5d', 1, 'second@chicago.example.org', NULL),
  (3, 'b1a0c9d8e7f6a5b4c3d2e1f0a9b8c7d6', 1, 'third@chicago.example.org', 'Missing the favourite.'),
  (4, 'c2b1d0e9f8a7b6c5d4e3f2a1b0c9d8e7', 2, 'reviewer@chicago.example.org', 'All five stamps present.'),
  (5, 'd3c2e1f0a9b8c7d6e5f4a3b2c1d0e9f8', 4, 'curator@carnegie.example.org', 'Ünïcödé comment ✓'),
  (6, 'e4d3f2a1b0c9d8e7f6a5b4c3d2e1f0a9', 60, 'ghost@example.org', 'Review of a deleted application.'),
  (7, 'f5e4a3b2c1d0e9f8a7b6c5d4e3f2a1b0', 7, 'bibliothecaire@lyon.example.fr', 'Très bien.');

INSERT INTO `reviewItems` (`id`, `reviewId`, `criterionId`, `satisfied`, `comment`) VALUES
  (1, 1, 1, 1, 'All hundred listed.'),
  (2, 1, 2, 1, NULL),
  (3, 1, 3, 0, 'Not yet.'),
  (4, 2, 1, 1, NULL),
  (5, 2, 2, 0, 'Only eight reviews.'),
  (6, 3, 3, 0, NULL),
  (7, 4, 4, 1, 'Stamps checked.'),
  (8, 4, 5, 1, NULL),
  (9, 5, 8, 1, 'Vingt dinosaures ✓'),
  (10, 3, 999, 1, 'Criterion 999 was deleted.'),
  (11, 7, 13, 1, 'Dix livres lus.'),
  (12, 7, 14, 1, NULL);

-- Milestones (both actions, one NULL action as the original allowed) with support badges,
-- an archived badge among them.
INSERT INTO `milestones` (`id`, `systemId`, `primaryBadgeId`, `numberRequired`, `action`) VALUES
  (1, 1, 1, 2, 'issue'),
  (2, 1, 3, 1, NULL),
  (3, 2, 6, 1, 'queue-application');

INSERT INTO `milestoneBadges` (`id`, `milestoneId`, `badgeId`) VALUES
  (1, 1, 2), (2, 1, 3), (3, 1, 4),
  (4, 2, 2),
  (5, 3, 8), (6, 3, 7);
