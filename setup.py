"""Packaging for tiny_diffusion, read from settings.ini (nbdev 2's template shape)."""
from configparser import ConfigParser
import shlex
import setuptools

config = ConfigParser(delimiters=['='])
config.read('settings.ini', encoding='utf-8')
cfg = config['DEFAULT']

for key in 'version description keywords author author_email'.split():
    assert key in cfg, f'settings.ini is missing `{key}`'

licenses = {'apache2': ('Apache Software License 2.0', 'OSI Approved :: Apache Software License'),
            'mit': ('MIT License', 'OSI Approved :: MIT License')}
statuses = ['1 - Planning', '2 - Pre-Alpha', '3 - Alpha', '4 - Beta', '5 - Production/Stable', '6 - Mature',
            '7 - Inactive']
py_versions = '3.11 3.12 3.13'.split()     # CI tests the first (python3 -m venv: 3.11)

requirements = shlex.split(cfg.get('requirements', ''))
# the extras: models (offline weights), course (JupyterLab, widgets), docs (the nbdev tools and the offline site);
# dev is all of them plus the linter, what CI installs
extras = {name: shlex.split(cfg.get(f'{name}_requirements', '')) for name in ('models', 'course', 'docs')}
extras['dev'] = [r for reqs in extras.values() for r in reqs] + shlex.split(cfg.get('dev_requirements', ''))
lic = licenses.get(cfg['license'].lower(), (cfg['license'], None))
min_python = cfg['min_python']

setuptools.setup(
    name=cfg['lib_name'].replace('_', '-'),
    version=cfg['version'],
    license=lic[0],
    classifiers=[f'Development Status :: {statuses[int(cfg["status"])]}',
                 f'Intended Audience :: {cfg["audience"].title()}',
                 'Natural Language :: English']
                + ([f'License :: {lic[1]}'] if lic[1] else [])
                + [f'Programming Language :: Python :: {v}' for v in py_versions[py_versions.index(min_python):]],
    url=cfg['git_url'],
    packages=setuptools.find_packages(include=['tiny_diffusion', 'tiny_diffusion.*']),
    include_package_data=True,
    package_data={'tiny_diffusion': ['assets/*']},
    install_requires=requirements,
    extras_require=extras,
    python_requires='>=' + min_python,
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    zip_safe=False,
    entry_points={'console_scripts': cfg.get('console_scripts', '').split(),
                  'nbdev': [f'{cfg.get("lib_path")}={cfg.get("lib_path")}._modidx:d']},
    author=cfg['author'], author_email=cfg['author_email'],
    description=cfg['description'], keywords=cfg['keywords'],
)
